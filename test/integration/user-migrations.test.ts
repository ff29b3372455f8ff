/** The user's own migrations (000 and 001 from the document) through the CLI, on a fresh database. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type postgres from 'postgres';
import { testDatabase } from '../support/database.js';
import { copyOfRepository, logLines, repoRoot, type Project } from '../support/project.js';

interface Setup {
  readonly project: Project;
  readonly sql: postgres.Sql;
}

/** A database of its own and a copy of the repository's migrations, nothing applied. */
async function fresh(): Promise<Setup> {
  const db = await testDatabase(import.meta.url);
  return { project: await copyOfRepository(db.url), sql: db.sql };
}

/** 000 applied, with two sessions in its table, as the document assumes before 001. */
async function atVersionZero(setup: Setup): Promise<Setup> {
  assert.equal((await setup.project.run(['up', '--to', '0'])).status, 0);
  await setup.sql`INSERT INTO user_sessions (id, user_id, title) VALUES ('s1', 'alice', 'one'), ('s2', 'bob', 'two')`;
  return setup;
}

/** ...then 001 applied over them. */
async function applied(setup: Setup): Promise<Setup> {
  await atVersionZero(setup);
  const run = await setup.project.run(['up']);
  assert.equal(run.status, 0, run.stderr);
  return setup;
}

// The checks that only read share one database with both files applied (its database is made here: one
// made in the hook would be dropped when the hook ends). A test that changes what it finds has its own.
const shared = await fresh();
const { project, sql } = shared;
before(() => applied(shared));

test('up --to 0 creates the sessions table the document assumes', async () => {
  const { project, sql } = await fresh();
  const result = await project.run(['up', '--to', '0']);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, '', 'up answers nothing on stdout without --json');
  const [{ exists }] = await sql<[{ exists: boolean }]>`SELECT to_regclass('user_sessions') IS NOT NULL AS exists`;
  assert.equal(exists, true);
  await sql`INSERT INTO user_sessions (id, user_id, title) VALUES ('s1', 'alice', 'one'), ('s2', 'bob', 'two')`;
});

test('up applies 001 and logs each file on stderr', async () => {
  const { project } = await atVersionZero(await fresh());
  const result = await project.run(['up']);
  assert.equal(result.status, 0, result.stderr);
  const messages = logLines(result.stderr).map((line) => String(line['msg']));
  assert.equal(messages.length, 2, result.stderr);
  assert.match(messages[0] ?? '', /^connected to \S+@\S+:\d+\/\S+ \(/);
  assert.match(messages[1] ?? '', /^applied migrations\/001_add_session_permissions\.sql \(\d+ ms\)$/);
});

test('001 adds created_by and visibility with its default and CHECK', async () => {
  const columns = await sql`
    SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns
     WHERE table_name = 'user_sessions' AND column_name IN ('created_by', 'visibility') ORDER BY column_name`;
  assert.deepEqual(
    columns.map((c) => [c['column_name'], c['data_type'], c['is_nullable'], c['column_default']]),
    [
      ['created_by', 'text', 'YES', null],
      ['visibility', 'text', 'NO', "'private'::text"],
    ],
  );
  const [check] = await sql`
    SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'ck_user_sessions_visibility'`;
  assert.match(String(check?.['def']), /private.*shared.*workspace/);
  await assert.rejects(sql`UPDATE user_sessions SET visibility = 'public' WHERE id = 's1'`, { code: '23514' });
});

test('001 backfills created_by from user_id and defaults visibility to private', async () => {
  const rows = await sql`SELECT id, created_by, visibility FROM user_sessions ORDER BY id`;
  assert.deepEqual(
    rows.map((r) => [r['id'], r['created_by'], r['visibility']]),
    [
      ['s1', 'alice', 'private'],
      ['s2', 'bob', 'private'],
    ],
  );
});

test('001 creates session_permissions with its foreign key, unique pair and indexes', async () => {
  const { sql } = await applied(await fresh());
  const [fk] = await sql`
    SELECT confrelid::regclass::text AS target, confdeltype FROM pg_constraint
     WHERE conrelid = 'session_permissions'::regclass AND contype = 'f'`;
  assert.deepEqual([fk?.['target'], fk?.['confdeltype']], ['user_sessions', 'c']);
  const indexes = await sql`
    SELECT indexname FROM pg_indexes WHERE tablename IN ('user_sessions', 'session_permissions') ORDER BY indexname`;
  assert.deepEqual(
    indexes.map((i) => i['indexname']),
    [
      'ix_session_permissions_user_id',
      'ix_user_sessions_created_by',
      'ix_user_sessions_user_id',
      'session_permissions_pkey',
      'uq_session_permissions_session_user',
      'user_sessions_pkey',
    ],
  );
  await sql`INSERT INTO session_permissions (session_id, user_id) VALUES ('s1', 'bob')`;
  await assert.rejects(sql`INSERT INTO session_permissions (session_id, user_id) VALUES ('s1', 'bob')`, { code: '23505' });
  await assert.rejects(sql`INSERT INTO session_permissions (session_id, user_id) VALUES ('nope', 'bob')`, { code: '23503' });
  await assert.rejects(sql`INSERT INTO session_permissions (session_id, user_id, permission) VALUES ('s2', 'x', 'admin')`, {
    code: '23514',
  });
  await sql`DELETE FROM user_sessions WHERE id = 's1'`;
  const [{ count }] = await sql<[{ count: number }]>`SELECT count(*)::int AS count FROM session_permissions`;
  assert.equal(count, 0, 'grants go with their session (ON DELETE CASCADE)');
});

test('001 comments the new objects', async () => {
  const [row] = await sql`
    SELECT obj_description('session_permissions'::regclass, 'pg_class') AS table_comment,
           (SELECT array_agg(a.attrelid::regclass::text || '.' || a.attname)
              FROM pg_description d JOIN pg_attribute a ON a.attrelid = d.objoid AND a.attnum = d.objsubid
             WHERE d.objoid IN ('user_sessions'::regclass, 'session_permissions'::regclass)) AS columns`;
  assert.equal(row?.['table_comment'], 'Per-user grants on shared sessions');
  assert.deepEqual([...(row?.['columns'] as string[])].sort(), [
    'session_permissions.granted_by',
    'session_permissions.permission',
    'session_permissions.session_id',
    'session_permissions.user_id',
    'user_sessions.created_by',
    'user_sessions.user_id',
    'user_sessions.visibility',
  ]);
});

test('the ledger holds both versions with their checksums', async () => {
  const rows = await sql`SELECT version, name, length(checksum) AS len, applied_by, execution_ms >= 0 AS timed FROM schema_migrations ORDER BY version`;
  assert.deepEqual(
    rows.map((r) => [r['version'], r['name'], r['len'], r['applied_by'], r['timed']]),
    [
      ['0', 'create_user_sessions', 64, 'postgres', true],
      ['1', 'add_session_permissions', 64, 'postgres', true],
    ],
  );
});

test('a second up is a no-op', async () => {
  const before = await sql`SELECT version, applied_at FROM schema_migrations ORDER BY version`;
  const result = await project.run(['up', '--json']);
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), []);
  assert.deepEqual(logLines(result.stderr).map((l) => String(l['msg']).replace(/^connected to .*/, 'connected')), ['connected', 'nothing to apply']);
  assert.deepEqual(await sql`SELECT version, applied_at FROM schema_migrations ORDER BY version`, before);
});

test('status prints a table on stdout', async () => {
  const result = await project.run(['status']);
  assert.equal(result.status, 0, result.stderr);
  const lines = result.stdout.trimEnd().split('\n');
  assert.match(lines[0] ?? '', /^version\s+name\s+state\s+applied at\s+ms\s+rollback$/);
  assert.match(lines[1] ?? '', /^\s*0\s+create_user_sessions\s+applied\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+\d+\s+no$/);
  assert.match(lines[2] ?? '', /^\s*1\s+add_session_permissions\s+applied\s+\S+ \S+\s+\d+\s+yes$/);
  assert.equal(lines.length, 3);
});

test('status --json gives the documented keys', async () => {
  const result = await project.run(['status', '--json']);
  assert.equal(result.status, 0, result.stderr);
  const entries = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
  assert.deepEqual(
    entries.map((e) => Object.keys(e)),
    // The documented keys, then provenance (which pgshift wrote each row, from which commit).
    [0, 1].map(() => ['version', 'name', 'state', 'appliedAt', 'executionMs', 'checksum', 'hasRollback', 'pgshiftVersion', 'gitCommit']),
  );
  assert.deepEqual(entries[1], {
    version: 1,
    name: 'add_session_permissions',
    state: 'applied',
    appliedAt: entries[1]?.['appliedAt'],
    executionMs: entries[1]?.['executionMs'],
    checksum: entries[1]?.['checksum'],
    hasRollback: true,
    pgshiftVersion: (JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version,
    gitCommit: null,
  });
  assert.match(String(entries[1]?.['checksum']), /^[0-9a-f]{64}$/);
  assert.ok(!Number.isNaN(Date.parse(String(entries[1]?.['appliedAt']))));
});

test('down reverts 001 through its rollback, then up applies it again', async () => {
  const { project, sql } = await applied(await fresh());
  const down = await project.run(['down', '--json']);
  assert.equal(down.status, 0, down.stderr);
  assert.deepEqual(
    (JSON.parse(down.stdout) as Array<Record<string, unknown>>).map((r) => [r['direction'], r['version'], r['path']]),
    [['down', 1, 'rollbacks/001_add_session_permissions.sql']],
  );
  const [after] = await sql`
    SELECT to_regclass('session_permissions') AS acl,
           (SELECT count(*)::int FROM information_schema.columns WHERE table_name = 'user_sessions' AND column_name IN ('created_by', 'visibility')) AS columns,
           (SELECT array_agg(version::int) FROM schema_migrations) AS versions`;
  assert.deepEqual([after?.['acl'], after?.['columns'], after?.['versions']], [null, 0, [0]]);

  const up = await project.run(['up']);
  assert.equal(up.status, 0, up.stderr);
  const [again] = await sql`SELECT array_agg(version::int ORDER BY version) AS versions, to_regclass('session_permissions')::text AS acl FROM schema_migrations`;
  assert.deepEqual([again?.['versions'], again?.['acl']], [[0, 1], 'session_permissions']);
});

test('down refuses to revert 000, which has no rollback, and reverts nothing', async () => {
  const result = await project.run(['down', '--all']);
  assert.equal(result.status, 3);
  assert.match(result.stderr, /version 0 \(create_user_sessions\) has no rollback file, so nothing was reverted/);
  const [{ count }] = await sql<[{ count: number }]>`SELECT count(*)::int AS count FROM schema_migrations`;
  assert.equal(count, 2);
});
