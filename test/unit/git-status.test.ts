/** Reading `git status --porcelain=v2 --branch -z` into the commit each migration file records. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commitOf, parseStatus } from '../../src/io/git.js';

const HEAD = 'a'.repeat(40);
const branch = `# branch.oid ${HEAD}\0# branch.head main\0`;
const entry = (xy: string, path: string): string => `1 ${xy} N... 100644 100644 100644 ${'1'.repeat(40)} ${'2'.repeat(40)} ${path}\0`;

test('committed, modified, staged, added, renamed, unmerged, untracked and ignored files', () => {
  const output =
    branch +
    entry('.M', 'db/m/002_modified.sql') +
    entry('M.', 'db/m/003_staged.sql') +
    entry('A.', 'db/m/004_added.sql') +
    `2 R. N... 100644 100644 100644 ${'1'.repeat(40)} ${'1'.repeat(40)} R100 db/m/005_renamed.sql\0db/m/005_old.sql\0` +
    `u UU N... 100644 100644 100644 100644 ${'1'.repeat(40)} ${'2'.repeat(40)} ${'3'.repeat(40)} db/m/006_conflict.sql\0` +
    '? db/m/007 untracked.sql\0! db/m/008_ignored.sql\0';
  const commits = parseStatus(output, 'db/m/');
  const of = (name: string): string | undefined => commitOf(commits, name);
  assert.equal(of('001_committed.sql'), HEAD);
  assert.equal(of('002_modified.sql'), `${HEAD}+dirty`);
  assert.equal(of('003_staged.sql'), `${HEAD}+dirty`);
  assert.equal(of('004_added.sql'), undefined);
  assert.equal(of('005_renamed.sql'), undefined);
  assert.equal(of('006_conflict.sql'), `${HEAD}+dirty`);
  assert.equal(of('007 untracked.sql'), undefined);
  assert.equal(of('008_ignored.sql'), undefined);
});

test('a migrations folder inside an ignored or untracked folder records nothing', () => {
  assert.equal(commitOf(parseStatus(`${branch}! build/\0`, 'build/m/'), '001_a.sql'), undefined);
  assert.equal(commitOf(parseStatus(`${branch}? db/m/\0`, 'db/m/'), '001_a.sql'), undefined);
});

test('a repository with no commit yet records nothing', () => {
  assert.equal(commitOf(parseStatus('# branch.oid (initial)\0# branch.head main\0', ''), '001_a.sql'), undefined);
});
