/**
 * The commit each ledger row names, from a real git repository: the commit only for a file committed and
 * unchanged in HEAD, the commit with "+dirty" for one that differs from it, nothing for a file HEAD does
 * not have; and one git status for the folder however many files it holds.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { testDatabase } from '../support/database.js';
import { makeProject, type Project } from '../support/project.js';

const db = await testDatabase(import.meta.url);
const { sql } = db;
// A folder with a space, below the repository's top, so paths from git status are read as they are.
const DIR = 'db/my migrations';
const DIRS = ['--migrations-dir', DIR, '--rollbacks-dir', 'db/rollbacks'];

function gitIn(project: Project) {
  return async (...args: string[]): Promise<string> =>
    (await promisify(execFile)('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: project.dir })).stdout.trim();
}

async function commits(table: string): Promise<Record<number, string | null>> {
  const rows = await sql<Array<{ version: number; git_commit: string | null }>>`SELECT version::int AS version, git_commit FROM ${sql(table)} ORDER BY version`;
  return Object.fromEntries(rows.map((row) => [row.version, row.git_commit]));
}

/** A `git` first on PATH that logs each call and hands it to the real one: how many times pgshift ran git. */
async function countingGit(): Promise<{ path: string; calls: () => Promise<string[]> }> {
  const bin = await mkdtemp(join(tmpdir(), 'pgshift-git-'));
  after(() => rm(bin, { recursive: true, force: true }));
  const real = (await promisify(execFile)('sh', ['-c', 'command -v git'])).stdout.trim();
  const log = join(bin, 'calls.log');
  await writeFile(join(bin, 'git'), `#!/bin/sh\necho "$*" >> '${log}'\nexec '${real}' "$@"\n`);
  await chmod(join(bin, 'git'), 0o755);
  return {
    path: `${bin}:${process.env['PATH'] ?? ''}`,
    calls: async () => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter((line) => line !== ''),
  };
}

test('each row names the commit only when its file is committed and unchanged; modified is +dirty; not in HEAD is none', async () => {
  const project = await makeProject(
    {
      [`${DIR}/001_committed.sql`]: 'CREATE TABLE prov_1 (id int);\n',
      [`${DIR}/002_modified.sql`]: 'CREATE TABLE prov_2 (id int);\n',
      [`${DIR}/003_staged_change.sql`]: 'CREATE TABLE prov_3 (id int);\n',
      [`${DIR}/004_no_transaction.sql`]: '-- pgshift:no-transaction\nCREATE TABLE prov_4 (id int);\n',
      'db/rollbacks/.keep': '',
      '.gitignore': '*ignored*\n',
    },
    db.url,
  );
  const git = gitIn(project);
  await git('init', '-q');
  await git('add', '.');
  await git('commit', '-qm', 'migrations');
  const head = await git('rev-parse', 'HEAD');
  await project.write(`${DIR}/002_modified.sql`, 'CREATE TABLE prov_2 (id int, changed int);\n');
  await project.write(`${DIR}/003_staged_change.sql`, 'CREATE TABLE prov_3 (id int, changed int);\n');
  await git('add', `${DIR}/003_staged_change.sql`);
  await project.write(`${DIR}/005_staged_new.sql`, 'CREATE TABLE prov_5 (id int);\n');
  await git('add', `${DIR}/005_staged_new.sql`);
  await project.write(`${DIR}/006_untracked.sql`, 'CREATE TABLE prov_6 (id int);\n');
  await project.write(`${DIR}/007_ignored.sql`, 'CREATE TABLE prov_7 (id int);\n');

  const counter = await countingGit();
  const run = await project.run(['up', '--no-lint', '--table', 'prov_ledger', ...DIRS], { env: { PATH: counter.path } });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(await commits('prov_ledger'), {
    1: head,
    2: `${head}+dirty`,
    3: `${head}+dirty`,
    4: head,
    5: null,
    6: null,
    7: null,
  });
  const calls = await counter.calls();
  assert.equal(calls.filter((call) => call.includes('status')).length, 1, `one git status for seven files: ${calls.join(' | ')}`);
  assert.ok(calls.length <= 2, `at most two git processes in all: ${calls.join(' | ')}`);

  const status = await project.run(['status', '--json', '--table', 'prov_ledger', ...DIRS]);
  const shown = (JSON.parse(status.stdout) as Array<{ version: number; gitCommit: string | null }>).map((entry) => entry.gitCommit);
  assert.deepEqual(shown, [head, `${head}+dirty`, `${head}+dirty`, head, null, null, null]);
});

test('baseline, --migration and the dry run name the file\'s commit the same way', async () => {
  const project = await makeProject({ 'migrations/001_a.sql': 'CREATE TABLE prov_a (id int);\n', 'migrations/002_b.sql': 'CREATE TABLE prov_b (id int);\n' }, db.url);
  const git = gitIn(project);
  await git('init', '-q');
  await git('add', 'migrations/001_a.sql');
  await git('commit', '-qm', 'first');
  const head = await git('rev-parse', 'HEAD');
  assert.equal((await project.run(['baseline', '--version', '1', '--table', 'prov_baseline'])).status, 0);
  const dry = await project.run(['up', '--dry-run', '--table', 'prov_baseline']);
  assert.match(dry.stdout, /VALUES \(2, 'b', '[0-9a-f]{64}', .*, NULL\) RETURNING [^;]*;\n/);
  await git('add', 'migrations/002_b.sql');
  await git('commit', '-qm', 'second');
  const second = await git('rev-parse', 'HEAD');
  assert.equal((await project.run(['up', '--migration', 'migrations/002_b.sql', '--table', 'prov_baseline'])).status, 0);
  assert.deepEqual(await commits('prov_baseline'), { 1: head, 2: second });
});

test('outside a git checkout, or in one with no commit yet, no commit is recorded', async () => {
  const project = await makeProject({ 'migrations/001_a.sql': 'CREATE TABLE prov_none (id int);\n', 'migrations/002_b.sql': 'CREATE TABLE prov_none2 (id int);\n' }, db.url);
  assert.equal((await project.run(['up', '--to', '1', '--table', 'prov_nogit'])).status, 0);
  await gitIn(project)('init', '-q');
  await gitIn(project)('add', '.');
  assert.equal((await project.run(['up', '--table', 'prov_nogit'])).status, 0);
  assert.deepEqual(await commits('prov_nogit'), { 1: null, 2: null });
});
