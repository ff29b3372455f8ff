/** The README's runnable examples are the files CI runs (test/integration/runner-examples.test.ts), word for word. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../support/project.js';

test('each <!-- example: PATH --> block of the README is that file, whole', async () => {
  const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/<!-- example: (\S+) -->\n```\w*\n([\s\S]*?)```\n/g)];
  assert.ok(blocks.length >= 9, `found ${blocks.length} example blocks`);
  for (const [, path, text] of blocks) assert.equal(text, await readFile(join(repoRoot, path!), 'utf8'), path);
});
