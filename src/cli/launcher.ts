#!/usr/bin/env node
/**
 * The installed `pgshift` bin (dist/pgshift.mjs). It runs the bundled CLI, dist/cli-main.cjs, from where that
 * file really is: npm links the bin from node_modules/.bin, and under node --preserve-symlinks-main this file's
 * own URL is the link's.
 *
 * It runs the bundle with a V8 code cache kept beside it, dist/cli-main.cache: the bytecode of an earlier run,
 * so that a short run (a no-op up, status) does not parse and compile the CLI again, about a quarter of its
 * time. Node 20 has no compile cache of its own (module.enableCompileCache came with 22), and V8 caches only
 * scripts, hence a CommonJS bundle run as one. The cache lives only beside the bundle, never in a shared
 * directory: whoever can write it there can already write the code itself. A missing, stale or unreadable
 * cache (its digest is checked) only makes the run compile as usual. V8 refuses a cache made under other flags
 * (NODE_OPTIONS=--max-old-space-size=4096 is one), so runs with node flags keep a cache of their own,
 * dist/cli-main.<flags digest>.cache; one V8 still refuses is not rewritten, so runs do not take turns at it.
 */
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import vm from 'node:vm';

/** What the bundle's entry exports (src/cli/bin.ts). */
interface Entry {
  readonly openedSession?: () => boolean;
}

/** A cache made by a run that opened no database session (the build's, or --help) holds less of the code. */
type CacheKind = 'session' | 'partial';

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

// The SQL parser (libpg-query) is WebAssembly. V8 compiles it at once with its baseline compiler, Liftoff, then
// compiles the hot functions again with TurboFan in the background: a few hundred milliseconds of CPU that a
// run parsing a few files, or even a few hundred, never earns back (parsing 200 files took 0.8 s of CPU and
// 0.55 s with it, 0.26 s and 0.24 s without). Only the CLI sets it, never the API in someone else's process;
// before the script is compiled, as V8 checks the flags a code cache was made under.
setFlagsFromString('--liftoff-only');

const dir = dirname(realpathSync(fileURLToPath(import.meta.url)));
const bundle = join(dir, 'cli-main.cjs');
const flags = [...process.execArgv, process.env['NODE_OPTIONS'] ?? ''].join(' ').trim();
const cacheFile = join(dir, flags === '' ? 'cli-main.cache' : `cli-main.${sha256(Buffer.from(flags)).slice(0, 12)}.cache`);
const source = readFileSync(bundle);
// The bundle's own bytes (not its mtime: npm sets that at install, so a packed cache would never match) and
// the Node that compiled it: V8 itself only checks the length.
const key = `pgshift-code-cache ${sha256(source)} ${process.version}`;

/**
 * The stored cache, when it was made for this bundle by this Node and is whole: V8 does not check what it
 * is given beyond its length and flags, and bytes damaged on disk would crash the process, so the header
 * carries their digest (the bundle's and the cache's: under a millisecond together).
 */
function readCache(): { readonly kind: CacheKind; readonly data: Buffer } | undefined {
  try {
    const stored = readFileSync(cacheFile);
    const end = stored.indexOf(10);
    const [stamp, kind, digest] = stored.subarray(0, Math.max(end, 0)).toString('latin1').split('\t');
    const data = stored.subarray(end + 1);
    if (end < 0 || stamp !== key || (kind !== 'session' && kind !== 'partial') || digest !== sha256(data)) return undefined;
    return { kind, data };
  } catch {
    return undefined;
  }
}

const cached = readCache();
const script = new vm.Script(
  `(function (exports, require, module, __filename, __dirname, __pgshiftUrl, __pgshiftResolve, __pgshiftImport) {${source.toString('utf8')}\n})`,
  { filename: bundle, cachedData: cached?.data },
);
const module = { exports: {} as Entry };
const run = script.runInThisContext() as (...args: unknown[]) => void;

process.once('exit', () => {
  const kind: CacheKind = module.exports.openedSession?.() === true ? 'session' : 'partial';
  if (script.cachedDataRejected === true || (cached !== undefined && !(cached.kind === 'partial' && kind === 'session'))) return;
  const temporary = `${cacheFile}.${process.pid}`;
  try {
    const data = script.createCachedData();
    writeFileSync(temporary, Buffer.concat([Buffer.from(`${key}\t${kind}\t${sha256(data)}\n`, 'latin1'), data]));
    renameSync(temporary, cacheFile);
  } catch {
    rmSync(temporary, { force: true });
  }
});
// Packages resolve from the bundle's real place, not from this file's URL (under --preserve-symlinks-main, the link's).
const requireHere = createRequire(bundle);
const resolve = (specifier: string): string => pathToFileURL(requireHere.resolve(specifier)).href;
run(module.exports, requireHere, module, bundle, dir, pathToFileURL(bundle).href, resolve, (specifier: string) => import(resolve(specifier)));
