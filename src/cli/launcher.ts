#!/usr/bin/env node
/**
 * The installed `pgshift` bin (dist/pgshift.mjs). The CLI is bundled into chunks that import each other by
 * relative path (dist/cli-*.mjs), and npm links the bin from node_modules/.bin: under node
 * --preserve-symlinks-main the entry's own URL is the link's, and its chunks would be looked for beside the
 * link. So the entry is this file, which loads the CLI from where it really is.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

await import(new URL('cli-main.mjs', pathToFileURL(realpathSync(fileURLToPath(import.meta.url)))).href);
