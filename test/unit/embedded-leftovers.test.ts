/** What a killed start of the embedded server leaves in the system's temporary folder, and what the next start removes. */
import assert from 'node:assert/strict';
import { readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { removeLeftPasswordFiles } from '../../src/db/embedded.js';

test("a start's leftover password files go: those holding the server's password, and empty ones a minute old", async () => {
  const id = `t${process.pid}x`;
  const files = { ours: `pg-password-${id}1`, empty: `pg-password-${id}2`, fresh: `pg-password-${id}3`, another: `pg-password-${id}4` };
  const path = (name: string): string => join(tmpdir(), name);
  await writeFile(path(files.ours), 'secret-of-this-server\n');
  await writeFile(path(files.empty), '');
  await writeFile(path(files.fresh), '');
  await writeFile(path(files.another), 'another-servers-secret\n');
  const past = new Date(Date.now() - 120_000);
  await utimes(path(files.empty), past, past);
  await utimes(path(files.another), past, past);
  try {
    removeLeftPasswordFiles('secret-of-this-server');
    const left = (await readdir(tmpdir())).filter((name) => name.startsWith(`pg-password-${id}`)).sort();
    assert.deepEqual(left, [files.fresh, files.another], 'an empty file just made may be a start about to write it; another server’s is not ours');
  } finally {
    for (const name of Object.values(files)) await rm(path(name), { force: true });
  }
});
