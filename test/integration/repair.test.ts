/**
 * Issue 11 item 15: the way out of an edited applied file (`pgshift repair`), and a ROLLBACK_MISSING hint
 * for version 0 that does not ask for the rollback the README says must not exist.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { resolveLedgerTable } from '../../src/db/ledger.js';
import { lockKey } from '../../src/db/lock.js';
import { createMigrator, isPgshiftError } from '../../src/index.js';
import { testDatabase } from '../support/database.js';
import { ledgerVersions } from '../support/inspect.js';
import { errorLine, makeProject, type Project, type CliResult } from '../support/project.js';

const db = await testDatabase(import.meta.url);
const { sql } = db;

const FILES = {
  'migrations/001_accounts.sql': '-- Accounts.\nCREATE TABLE accounts (id int PRIMARY KEY);\n',
  'rollbacks/001_accounts.sql': 'DROP TABLE accounts;\n',
  'migrations/002_orders.sql': 'CREATE TABLE orders (id int);\n',
  'rollbacks/002_orders.sql': 'DROP TABLE orders;\n',
};

const git = (dir: string, ...args: string[]): Promise<{ stdout: string }> =>
  promisify(execFile)('git', ['-c', 'user.email=test@example.com', '-c', 'user.name=test', ...args], { cwd: dir });

interface Fixture {
  readonly project: Project;
  readonly schema: string;
  run(...args: string[]): Promise<CliResult>;
  checksum(version: number): Promise<string>;
  commit(version: number): Promise<string | null>;
}

let fixtures = 0;

/** A project (in a git repository whose HEAD holds the files, unless `inGit` is false) with every migration applied, in a schema of its own. */
async function applied(inGit = true): Promise<Fixture> {
  const project = await makeProject(FILES, db.url);
  const schema = `repair_${++fixtures}`;
  if (inGit) {
    await git(project.dir, 'init', '-q');
    await git(project.dir, 'add', '.');
    await git(project.dir, 'commit', '-qm', 'migrations');
  }
  const run = (...args: string[]): Promise<CliResult> => project.run([...args, '--schema', schema]);
  const up = await run('up');
  assert.equal(up.status, 0, up.stderr);
  const row = async (version: number) =>
    (await sql<Array<{ checksum: string; git_commit: string | null }>>`SELECT checksum, git_commit FROM ${sql(schema)}.schema_migrations WHERE version = ${version}`)[0];
  return {
    project,
    schema,
    run,
    checksum: async (version) => (await row(version))?.checksum ?? '',
    commit: async (version) => (await row(version))?.git_commit ?? null,
  };
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

test('a comment edit of 001 blocks down of 002 until repair records it; repair shows the diff from the applied commit', async () => {
  const fixture = await applied();
  const head = (await git(fixture.project.dir, 'rev-parse', 'HEAD')).stdout.trim();
  const edited = '-- Accounts, one row per customer.\nCREATE TABLE accounts (id int PRIMARY KEY);   \n\n';
  await fixture.project.write('migrations/001_accounts.sql', edited);
  const blocked = await fixture.run('down');
  assert.equal(blocked.status, 3);
  assert.match(String(errorLine(blocked.stderr)['hint']), /if only comments or whitespace changed, record the file as it is with pgshift repair/);

  const dry = await fixture.run('repair', '--dry-run');
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /^-- migrations\/001_accounts\.sql \(version 1\): comments and whitespace only, compared with commit [0-9a-f]{40}$/m);
  assert.match(dry.stdout, /^-- {3}--- Accounts\.$/m, 'the diff shows the applied line');
  assert.match(dry.stdout, /^-- {3}\+-- Accounts, one row per customer\.$/m);
  assert.match(dry.stdout, /^BEGIN;\n[^]*UPDATE [^]*COMMIT;\n/m);
  assert.notEqual(await fixture.checksum(1), sha256(edited), 'a dry run records nothing');

  const repair = await fixture.run('repair');
  assert.equal(repair.status, 0, repair.stderr);
  assert.match(repair.stdout, /^migrations\/001_accounts\.sql \(version 1\): comments and whitespace only/);
  assert.match(repair.stdout, /\nrecorded the current checksum of 1 applied migration\(s\)\n$/);
  assert.equal(await fixture.checksum(1), sha256(edited));
  assert.equal(await fixture.commit(1), `${head}+dirty`, 'git_commit names the text recorded now: the uncommitted edit of that commit');

  const down = await fixture.run('down');
  assert.equal(down.status, 0, down.stderr);
  assert.deepEqual(await ledgerVersions(sql, `${fixture.schema}.schema_migrations`), [1]);
  assert.equal((await fixture.run('repair')).stdout, 'nothing to repair: every applied migration matches its file\n');
});

test('a changed statement is refused with exit 3 and a hint naming --force; --force records it', async () => {
  const fixture = await applied();
  const before = await fixture.checksum(2);
  const edited = 'CREATE TABLE orders (id bigint);\n';
  await fixture.project.write('migrations/002_orders.sql', edited);

  const refused = await fixture.run('repair');
  assert.equal(refused.status, 3);
  const error = errorLine(refused.stderr);
  assert.equal(error['code'], 'REPAIR_REFUSED');
  assert.match(String(error['msg']), /^repair refused: migrations\/002_orders\.sql: changed in more than comments and whitespace since it was applied \(compared with commit [0-9a-f]{40}\)$/);
  assert.match(String(error['hint']), /git diff [0-9a-f]{40} -- migrations\/002_orders\.sql.*pgshift repair --force/);
  assert.equal(await fixture.checksum(2), before);

  const dry = await fixture.run('repair', '--dry-run');
  assert.equal(dry.status, 3, 'a dry run fails where the run would');
  assert.match(dry.stdout, /^-- migrations\/002_orders\.sql \(version 2\): statements changed, compared with commit [0-9a-f]{40}; needs --force$/m);
  assert.match(dry.stdout, /^-- would record the current checksum of 1 applied migration\(s\), but only with --force$/m);

  const forced = await fixture.run('repair', '--force');
  assert.equal(forced.status, 0, forced.stderr);
  assert.equal(await fixture.checksum(2), sha256(edited));
});

test('the recorded commit is the only source of the applied text: none, +dirty, or one whose file differs means unknown', async () => {
  const outside = await applied(false);
  await outside.project.write('migrations/001_accounts.sql', '-- edited\nCREATE TABLE accounts (id int PRIMARY KEY);\n');
  const none = await outside.run('repair');
  assert.equal(none.status, 3);
  assert.match(String(errorLine(none.stderr)['msg']), /the text it was applied with is unknown \(no git commit was recorded when it was applied\); recorded checksum [0-9a-f]{12}…, file now [0-9a-f]{12}…/);

  const dirty = await applied();
  const head = (await git(dirty.project.dir, 'rev-parse', 'HEAD')).stdout.trim();
  await sql.unsafe(`UPDATE ${dirty.schema}.schema_migrations SET git_commit = '${head}+dirty' WHERE version = 1`);
  await dirty.project.write('migrations/001_accounts.sql', '-- edited\nCREATE TABLE accounts (id int PRIMARY KEY);\n');
  const fromDirty = await dirty.run('repair', '--dry-run', '--json');
  assert.equal(fromDirty.status, 3);
  const [change] = (JSON.parse(fromDirty.stdout) as { changes: Array<Record<string, unknown>> }).changes;
  assert.equal(change?.['kind'], 'unknown');
  assert.equal(change?.['unknownBecause'], `it was applied from a modified copy of commit ${head}`);
  assert.equal(change?.['needsForce'], true);

  // HEAD holds another text than the one applied (the file was edited before up and never committed).
  await sql.unsafe(`UPDATE ${dirty.schema}.schema_migrations SET git_commit = '${head}', checksum = '${sha256('SELECT 1;\n')}' WHERE version = 2`);
  const mismatch = await dirty.run('repair', '--force', '--json');
  assert.equal(mismatch.status, 0, mismatch.stderr);
  const result = JSON.parse(mismatch.stdout) as { recorded: boolean; changes: Array<Record<string, unknown>> };
  assert.equal(result.recorded, true);
  assert.deepEqual(
    result.changes.map((c) => [c['version'], c['kind'], c['unknownBecause']]),
    [
      [1, 'unknown', `it was applied from a modified copy of commit ${head}`],
      [2, 'unknown', `the file at commit ${head} is not the text that was applied (its checksum differs)`],
    ],
  );
  assert.equal(await dirty.checksum(2), sha256(FILES['migrations/002_orders.sql']));
});

test('repair waits for the migration lock (exit 4 when held) and writes every row in one transaction', async () => {
  const fixture = await applied();
  await fixture.project.write('migrations/001_accounts.sql', '-- one\nCREATE TABLE accounts (id int PRIMARY KEY);\n');
  await fixture.project.write('migrations/002_orders.sql', '-- two\nCREATE TABLE orders (id int);\n');
  const key = lockKey(resolveLedgerTable('schema_migrations', fixture.schema)).sql;
  const held = await sql.reserve();
  try {
    await held.unsafe(`SELECT pg_advisory_lock(${key})`);
    const waited = await fixture.run('repair', '--lock-wait', '1');
    assert.equal(waited.status, 4, waited.stderr);
    assert.equal(await fixture.checksum(1), sha256(FILES['migrations/001_accounts.sql']), 'nothing recorded without the lock');
  } finally {
    await held.unsafe(`SELECT pg_advisory_unlock(${key})`);
    held.release();
  }
  // The second row's update fails: the first one must not stay recorded.
  await sql.unsafe(`CREATE FUNCTION ${fixture.schema}.no_two() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN IF NEW.version = 2 THEN RAISE EXCEPTION 'no'; END IF; RETURN NEW; END$$;
    CREATE TRIGGER no_two BEFORE UPDATE ON ${fixture.schema}.schema_migrations FOR EACH ROW EXECUTE FUNCTION ${fixture.schema}.no_two()`);
  const before = await fixture.checksum(1);
  const failed = await fixture.run('repair');
  assert.equal(failed.status, 1, failed.stderr);
  assert.match(String(errorLine(failed.stderr)['hint']), /no ledger row changed/);
  assert.equal(await fixture.checksum(1), before);
  await sql.unsafe(`DROP TRIGGER no_two ON ${fixture.schema}.schema_migrations`);
  assert.equal((await fixture.run('repair')).status, 0);
});

test('the API returns what repair found and throws REPAIR_REFUSED without force', async () => {
  const fixture = await applied();
  await fixture.project.write('migrations/002_orders.sql', 'CREATE TABLE orders (id bigint);\n');
  const migrator = createMigrator({ database: { url: db.url }, cwd: fixture.project.dir, schema: fixture.schema });
  const dry = await migrator.repair({ dryRun: true });
  assert.equal(dry.recorded, false);
  assert.deepEqual(dry.changes.map((change) => [change.path, change.kind, change.needsForce]), [['migrations/002_orders.sql', 'statements', true]]);
  await assert.rejects(migrator.repair(), (error) => isPgshiftError(error) && error.code === 'REPAIR_REFUSED' && error.problems.length === 1);
  assert.equal((await migrator.repair({ force: true })).recorded, true);
});

test('the ROLLBACK_MISSING hint for version 0 says why it has none and how to revert what is above it', async () => {
  const project = await makeProject(
    {
      'migrations/000_existing.sql': 'CREATE TABLE IF NOT EXISTS existing (id int);\n',
      'migrations/001_accounts.sql': FILES['migrations/001_accounts.sql'],
      'rollbacks/001_accounts.sql': FILES['rollbacks/001_accounts.sql'],
    },
    db.url,
  );
  const run = (...args: string[]) => project.run([...args, '--schema', 'repair_zero']);
  assert.equal((await run('up')).status, 0);
  const all = await run('down', '--all');
  assert.equal(all.status, 3);
  const error = errorLine(all.stderr);
  assert.equal(error['code'], 'VALIDATION_FAILED');
  assert.deepEqual((error['problems'] as Array<{ code: string }>).map((problem) => problem.code), ['ROLLBACK_MISSING']);
  assert.equal(
    error['hint'],
    'version 0 has no rollback on purpose: it creates what existed before pgshift, and reverting must never drop that. Revert everything above it with pgshift down --to 0',
  );
  assert.doesNotMatch(all.stderr, /write rollbacks\/000/);
  assert.equal((await run('down', '--to', '0')).status, 0);
  assert.deepEqual(await ledgerVersions(sql, 'repair_zero.schema_migrations'), [0]);
});
