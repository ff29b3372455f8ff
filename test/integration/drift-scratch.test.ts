/**
 * drift's scratch database: never made when the files cannot say what ran, always dropped (after success,
 * a migration that fails there, Ctrl-C), leftovers of killed runs removed; refused where it would be unsafe
 * (a history that changes the whole server) or impossible (no CREATEDB), with the ways around it named.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { serverUrl, testDatabase, urlFor } from '../support/database.js';
import { driftHistory } from '../support/drift-history.js';
import { driftJson, pgshiftPid, scratchLeft, scratchNames } from '../support/drift.js';
import { cleanEnv, errorLine, finished, logLines, makeProject, spawnPgshift, type CliResult } from '../support/project.js';
import { waitFor } from '../support/wait.js';

const admin = postgres(serverUrl(), { onnotice: () => undefined, max: 1 });
after(() => admin.end({ timeout: 5 }));

const SMALL = {
  'migrations/001_items.sql': 'CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL);\n',
  'migrations/002_index.sql': 'CREATE INDEX ix_items_label ON items (label);\n',
};

/** A database of the test's own with SMALL (and `more`) applied. */
async function migrated(more: Readonly<Record<string, string>> = {}) {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject({ ...SMALL, ...more }, db.url);
  const up = await project.run(['up']);
  assert.equal(up.status, 0, up.stderr);
  return { db, project };
}

/** The run made no scratch database, or dropped every one it made. */
async function noScratchLeft(run: CliResult): Promise<void> {
  assert.deepEqual(await scratchLeft(admin, pgshiftPid(run.stderr)), [], 'no scratch database of this run is left');
}

test('after success the scratch database is gone', async () => {
  const { project } = await migrated();
  const { run, answer } = await driftJson(project);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(answer, { drift: false, replayed: 2, scratch: 'server', differences: [], cosmetic: [] });
  assert.equal(scratchNames(run.stderr).length, 1, 'drift logs the scratch database it made');
  await noScratchLeft(run);
});

for (const [what, edit] of [
  ['changed', (project: Awaited<ReturnType<typeof migrated>>['project']) => project.write('migrations/002_index.sql', 'CREATE INDEX ix_items_label ON items (label, id);\n')],
  ['missing', (project: Awaited<ReturnType<typeof migrated>>['project']) => project.remove('migrations/002_index.sql')],
] as const) {
  test(`an applied file ${what} since: exit 3 naming it, nothing compared, no scratch database made`, async () => {
    const { project } = await migrated();
    await edit(project);
    for (const args of [['--json'], []]) {
      const run = await project.run(['drift', ...args]);
      assert.equal(run.status, 3, run.stderr);
      assert.match(run.stderr, /migrations\/002_index\.sql/);
      if (args.length > 0 && run.stdout !== '') assert.equal((JSON.parse(run.stdout) as Record<string, unknown>)['differences'], undefined);
      else assert.doesNotMatch(run.stdout, /ix_items_label|missing in|extra in/);
      assert.deepEqual(scratchNames(run.stderr), []);
      await noScratchLeft(run);
    }
  });
}

test('a migration that fails in the scratch database (it used an object made by hand on the target): REPLAY_FAILED, exit 3 naming the file, scratch dropped', async () => {
  const db = await testDatabase(import.meta.url);
  // A DBA made the function by hand before 002 ran; the migrations never create it.
  await db.sql.unsafe(`CREATE FUNCTION legacy_code(id int) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'L' || id $$`);
  const project = await makeProject({ ...SMALL, 'migrations/003_view.sql': 'CREATE VIEW item_codes AS SELECT legacy_code(id) AS code FROM items;\n' }, db.url);
  assert.equal((await project.run(['up'])).status, 0);
  const run = await project.run(['drift', '--json']);
  assert.equal(run.status, 3, run.stderr);
  assert.equal(errorLine(run.stderr)['code'], 'REPLAY_FAILED');
  assert.match(String(errorLine(run.stderr)['msg']), /migrations\/003_view\.sql ran on the target but fails on a database built from the migrations alone/);
  assert.match(run.stderr, /legacy_code/);
  assert.equal(scratchNames(run.stderr).length, 1);
  await noScratchLeft(run);
});

test('SIGINT while the history replays: exit 130 and the scratch database is dropped', async () => {
  const { db, project } = await migrated({ 'migrations/003_slow.sql': 'SELECT pg_sleep(3);\n' });
  const child = spawnPgshift(['drift', '--json'], project.dir, cleanEnv({ DATABASE_URL: db.url }));
  const done = finished(child);
  await waitFor(async () => {
    const rows = await admin`SELECT 1 FROM pg_stat_activity WHERE datname LIKE ${`pgshift\\_scratch\\_${child.pid}\\_%`} AND query LIKE '%pg_sleep(3)%' AND state = 'active'`;
    return rows.length === 1;
  }, 'the scratch database replaying 003');
  child.kill('SIGINT');
  const { status, stderr } = await done;
  assert.equal(status, 130, stderr);
  assert.match(String(errorLine(stderr)['msg']), /interrupted/);
  assert.deepEqual(await scratchLeft(admin, child.pid!), []);
});

test('a scratch database left by a SIGKILLed run more than an hour ago is dropped by the next drift', async () => {
  const { project } = await migrated();
  const leftover = `pgshift_scratch_999999_${Math.floor(Date.now() / 1000) - 7200}_abcd`;
  await admin.unsafe(`CREATE DATABASE "${leftover}"`);
  try {
    const run = await project.run(['drift']);
    assert.equal(run.status, 0, run.stderr);
    const [{ n }] = await admin<[{ n: number }]>`SELECT count(*)::int AS n FROM pg_database WHERE datname = ${leftover}`;
    assert.equal(n, 0);
  } finally {
    await admin.unsafe(`DROP DATABASE IF EXISTS "${leftover}"`);
  }
});

test('a --scratch embedded run SIGKILLed mid-replay orphans its server; the next run stops that server and removes its folder', async () => {
  const { db, project } = await migrated({ 'migrations/003_slow.sql': 'SELECT pg_sleep(5);\n' });
  const child = spawnPgshift(['drift', '--scratch', 'embedded'], project.dir, cleanEnv({ DATABASE_URL: db.url }));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  const exited = once(child, 'exit');
  const postmaster = async (dir: string): Promise<number> => Number.parseInt(await readFile(join(dir, 'data', 'postmaster.pid'), 'utf8').catch(() => ''), 10);
  await waitFor(async () => /a scratch server, removed after the run/.test(stderr), 'the scratch server up');
  // Replaying 003 by now, or about to: the kill leaves the server with nobody to stop it.
  await sleep(500);
  child.kill('SIGKILL');
  // Not the pipes' close: the orphaned server may hold them open.
  await exited;
  const name = (await readdir(project.path('.pgshift'))).find((entry) => entry.startsWith('scratch-'));
  assert.ok(name, 'the killed run left its scratch folder');
  const dir = project.path(`.pgshift/${name}`);
  const orphan = await postmaster(dir);
  assert.doesNotThrow(() => process.kill(orphan, 0), 'the orphaned scratch server is still running');
  const next = await project.run(['drift', '--scratch', 'embedded', '--log-level', 'info'], { env: { DATABASE_URL: db.url } });
  assert.equal(next.status, 0, next.stderr);
  assert.match(next.stderr, /removed scratch-\d+-\d+, the folder of a scratch server whose run ended without removing it/);
  assert.throws(() => process.kill(orphan, 0), 'the orphaned server was stopped');
  // Only the scratch folder goes: .pgshift/ also holds the parse cache that up left there.
  assert.deepEqual((await readdir(project.path('.pgshift'))).filter((entry) => entry.startsWith('scratch-')), []);
});

test('a role without CREATEDB: exit 2 naming --scratch-database and --scratch embedded', async () => {
  const { db, project } = await migrated();
  const role = `pgshift_nocreatedb_${process.pid}`;
  await admin.unsafe(`CREATE ROLE ${role} LOGIN NOCREATEDB PASSWORD 'drift-pw'`);
  try {
    await db.sql.unsafe(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
    const url = new URL(db.url);
    url.username = role;
    url.password = 'drift-pw';
    const run = await project.run(['drift'], { env: { DATABASE_URL: url.toString() } });
    assert.equal(run.status, 2, run.stderr);
    const error = errorLine(run.stderr);
    const said = `${String(error['msg'])} ${String(error['hint'])}`;
    assert.match(said, /--scratch-database/);
    assert.match(said, /--scratch embedded/);
    assert.doesNotMatch(run.stderr, /drift-pw/);
    await noScratchLeft(run);
  } finally {
    await db.sql.unsafe(`DROP OWNED BY ${role}`);
    await admin.unsafe(`DROP ROLE IF EXISTS ${role}`);
  }
});

test('a history that creates a role: refused on the target\'s server (exit 2, file:line, both ways named); --scratch embedded works', async () => {
  const role = `pgshift_drift_role_${process.pid}`;
  try {
    const { project } = await migrated({ 'migrations/003_role.sql': `CREATE TABLE audit (id int);\nCREATE ROLE ${role} NOLOGIN;\n` });
    const refused = await project.run(['drift']);
    assert.equal(refused.status, 2, refused.stderr);
    const error = errorLine(refused.stderr);
    assert.match(String(error['msg']), /migrations\/003_role\.sql:2/);
    assert.match(String(error['hint']), /--scratch-database/);
    assert.match(String(error['hint']), /--scratch embedded/);
    assert.deepEqual(scratchNames(refused.stderr), []);
    const { run, answer } = await driftJson(project, ['--scratch', 'embedded']);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(answer, { drift: false, replayed: 3, scratch: 'embedded', differences: [], cosmetic: [] });
  } finally {
    await admin.unsafe(`DROP ROLE IF EXISTS ${role}`);
  }
});

test('--scratch-database URL builds the scratch database on the server that URL names, and drops it', async () => {
  const { project } = await migrated();
  const { run, answer } = await driftJson(project, ['--scratch-database', urlFor('postgres')]);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(answer, { drift: false, replayed: 2, scratch: 'database', differences: [], cosmetic: [] });
  await noScratchLeft(run);
});

test('--scratch embedded rebuilds the long history on a server of its own: no drift on the same major version, a warning naming both versions on another', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject(driftHistory(150), db.url);
  assert.equal((await project.run(['up'])).status, 0);
  const [{ version }] = await db.sql<[{ version: string }]>`SELECT current_setting('server_version_num') AS version`;
  const { run, answer } = await driftJson(project, ['--scratch', 'embedded', '--privileges']);
  const warning = logLines(run.stderr).find((line) => String(line['msg']).includes('the embedded server is PostgreSQL'));
  assert.equal(answer.scratch, 'embedded');
  assert.equal(answer.replayed, 150);
  const started = /embedded PostgreSQL (\d+) on 127\.0\.0\.1:\d+, data in \S*scratch-\d+-\d+/.exec(run.stderr);
  assert.ok(started, run.stderr);
  const embeddedMajor = Number(started[1]);
  const targetMajor = Math.floor(Number(version) / 10000);
  if (targetMajor === embeddedMajor) {
    assert.deepEqual(answer.differences.map((d) => d.message), []);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(warning, undefined);
  } else {
    // Views and grants print differently across versions (17 adds MAINTAIN): the warning says so and names the way out.
    assert.match(String(warning?.['msg']), new RegExp(`the embedded server is PostgreSQL ${embeddedMajor} and the target is PostgreSQL ${targetMajor}: .*--scratch-database`));
    assert.equal(warning?.['level'], 40);
    // NOT NULL is compared as the column's and the domain's, never as the constraint row newer servers add.
    assert.deepEqual(answer.differences.filter((d) => d.kind === 'constraint').map((d) => d.message), []);
  }
  await noScratchLeft(run);
});
