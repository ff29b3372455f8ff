/**
 * Many databases in one run: fifty databases with one unreachable, one whose migration fails and one locked
 * by another session; a canary that fails; fifty tenant schemas listed by --targets-query; an interrupt.
 * Every target's outcome is its own, and connections never exceed --parallel.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import postgres from 'postgres';
import { resolveLedgerTable } from '../../src/db/ledger.js';
import { lockKey } from '../../src/db/lock.js';
import { serverUrl, testDatabase, urlFor } from '../support/database.js';
import { startBouncer } from '../support/pgbouncer.js';
import { cleanEnv, finished, makeProject, spawnPgshift, type Project } from '../support/project.js';
import { waitFor } from '../support/wait.js';

const quiet = { onnotice: () => undefined, max: 1 } as const;
const admin = postgres(serverUrl(), { ...quiet, max: 2 });
const created: string[] = [];
after(async () => {
  for (const name of created) await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end({ timeout: 5 });
});

/** `count` new empty databases, dropped after the file. */
async function databases(count: number): Promise<string[]> {
  const prefix = `pgshift_many_${randomBytes(3).toString('hex')}`;
  const names = Array.from({ length: count }, (_, index) => `${prefix}_${String(index + 1).padStart(2, '0')}`);
  for (const name of names) {
    await admin.unsafe(`CREATE DATABASE "${name}"`);
    created.push(name);
  }
  return names;
}

/** Runs `work` with a short-lived client on database `name`. */
async function on<T>(name: string, work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(urlFor(name), quiet);
  try {
    return await work(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function ledgerOf(name: string, schema = 'public'): Promise<number[] | undefined> {
  return on(name, async (sql) => {
    const [{ exists }] = await sql<[{ exists: boolean }]>`SELECT to_regclass(${`${schema}.schema_migrations`}) IS NOT NULL AS exists`;
    if (!exists) return undefined;
    const rows = await sql.unsafe<Array<{ version: string }>>(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
    return rows.map((row) => Number(row.version));
  });
}

/**
 * The most of pgshift's sessions (by application name) open at once on `names` while `work` runs, sampled
 * every 10 ms; `except` is not counted. The test's own clients on those databases are not pgshift's.
 */
async function peakSessions<T>(names: readonly string[], work: () => Promise<T>, except: readonly number[] = []): Promise<{ result: T; peak: number }> {
  let peak = 0;
  let running = true;
  const sampler = (async () => {
    while (running) {
      const [{ count }] = await admin<[{ count: number }]>`SELECT count(*)::int AS count FROM pg_stat_activity WHERE datname = ANY(${names as string[]}) AND application_name LIKE 'pgshift%' AND pid <> ALL(${except as number[]}) AND pid <> pg_backend_pid()`;
      peak = Math.max(peak, count);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  try {
    return { result: await work(), peak };
  } finally {
    running = false;
    await sampler;
  }
}

const MIGRATIONS = {
  'migrations/001_a.sql': 'CREATE TABLE a (id int);\n',
  'migrations/002_b.sql': 'CREATE TABLE b (id int);\n',
  'migrations/003_c.sql': 'CREATE TABLE c (id int);\n',
};

interface TargetJson {
  readonly name: string;
  readonly outcome: string;
  readonly exitStatus: number | null;
  readonly before?: number | null;
  readonly after?: number | null;
  readonly migrations: readonly unknown[];
  readonly skippedBecause?: string;
  readonly error?: { readonly code: string; readonly message: string };
}

function targetsOf(stdout: string): Map<string, TargetJson> {
  const parsed = JSON.parse(stdout) as { targets: TargetJson[] };
  return new Map(parsed.targets.map((target) => [target.name, target]));
}

async function targetsFile(project: Project, lines: readonly string[]): Promise<void> {
  await project.write('targets.txt', `# written by the test\n${lines.join('\n')}\n`);
}

test('50 targets: one unreachable, one failing, one locked; the other 47 are migrated, and a rerun after fixing does only those', async () => {
  const names = await databases(49);
  const failing = names[10] as string;
  const locked = names[20] as string;
  await on(failing, (sql) => sql`CREATE TABLE b (id int)`);
  const project = await makeProject(MIGRATIONS);
  const lines = names.map((name) => `${name}=${urlFor(name)}`);
  lines.splice(30, 0, 'gone=postgres://postgres@127.0.0.1:1/gone');
  await targetsFile(project, lines);

  const holder = postgres(urlFor(locked), quiet);
  const held = await holder.reserve();
  try {
    await held.unsafe(`SELECT pg_advisory_lock(${lockKey(resolveLedgerTable('schema_migrations', 'public')).sql})`);
    const [{ pid }] = await held<[{ pid: number }]>`SELECT pg_backend_pid() AS pid`;
    const { result: run, peak } = await peakSessions(names, () => project.run(['up', '--targets', 'targets.txt', '--parallel', '8', '--lock-wait', '1', '--json']), [pid]);
    assert.equal(run.status, 6, run.stderr);
    assert.ok(peak <= 9, `at most --parallel + 1 sessions at once, saw ${peak}`);
    const results = targetsOf(run.stdout);
    assert.equal(results.size, 50);
    const ok = [...results.values()].filter((target) => target.outcome === 'ok');
    assert.equal(ok.length, 47);
    for (const target of ok) assert.deepEqual([target.before, target.after, target.migrations.length, target.exitStatus], [null, 3, 3, 0], target.name);
    assert.deepEqual(pick(results.get('gone')), ['failed', 5, 'CONNECTION_FAILED']);
    assert.deepEqual(pick(results.get(failing)), ['failed', 1, 'MIGRATION_FAILED']);
    assert.deepEqual([results.get(failing)?.before, results.get(failing)?.after], [null, 1], 'the failing target kept 001');
    assert.deepEqual(pick(results.get(locked)), ['failed', 4, 'LOCK_TIMEOUT']);
    assert.match(run.stderr, new RegExp(`3 of 50 targets failed: .*${failing} \\(MIGRATION_FAILED\\).*${locked} \\(LOCK_TIMEOUT\\).*gone \\(CONNECTION_FAILED\\)`));
  } finally {
    held.release();
    await holder.end();
  }
  for (const name of names) {
    const expected = name === failing ? [1] : name === locked ? undefined : [1, 2, 3];
    assert.deepEqual(await ledgerOf(name), expected, name);
  }

  await on(failing, (sql) => sql`DROP TABLE b`);
  const [replacement] = await databases(1);
  await targetsFile(project, lines.map((line) => (line.startsWith('gone=') ? `gone=${urlFor(replacement as string)}` : line)));
  const rerun = await project.run(['up', '--targets', 'targets.txt', '--parallel', '8']);
  assert.equal(rerun.status, 0, rerun.stderr);
  const rows = rerun.stdout.split('\n');
  const row = (name: string): string => rows.find((line) => line.startsWith(`${name} `)) ?? '';
  assert.match(row(failing), /1 → 3\s+2\s/);
  assert.match(row(locked), /none → 3\s+3\s/);
  assert.match(row('gone'), /none → 3\s+3\s/);
  assert.match(row(names[0] as string), /^\S+\s+3\s+0\s+[\d.]+ s\s+ok$/, 'a target already done applies nothing');
  assert.match(rerun.stdout, /^50 targets: 50 ok, 0 failed$/m);
});

function pick(target: TargetJson | undefined): unknown[] {
  return [target?.outcome, target?.exitStatus, target?.error?.code];
}

test('--canary 3 with a failure among the first three touches no other database', async () => {
  const names = await databases(10);
  await on(names[1] as string, (sql) => sql`CREATE TABLE b (id int)`);
  const project = await makeProject(MIGRATIONS);
  await targetsFile(project, names.map((name) => `${name}=${urlFor(name)}`));
  const run = await project.run(['up', '--targets', 'targets.txt', '--canary', '3', '--json']);
  assert.equal(run.status, 6, run.stderr);
  const results = [...targetsOf(run.stdout).values()];
  assert.deepEqual(
    results.map((target) => target.outcome),
    ['ok', 'failed', 'ok', ...Array<string>(7).fill('skipped')],
  );
  for (const target of results.slice(3)) assert.equal(target.skippedBecause, 'canary');
  for (const name of names.slice(3)) assert.equal(await ledgerOf(name), undefined, `${name} was not touched`);

  await on(names[1] as string, (sql) => sql`DROP TABLE b`);
  const again = await project.run(['up', '--targets', 'targets.txt', '--canary', '3']);
  assert.equal(again.status, 0, again.stderr);
  for (const name of names) assert.deepEqual(await ledgerOf(name), [1, 2, 3], name);
});

test('schema per tenant: 50 schemas listed by --targets-query each get their tables and a ledger of their own', async () => {
  const db = await testDatabase(import.meta.url);
  await db.sql`CREATE TABLE tenants (schema_name text, label text)`;
  await db.sql`INSERT INTO tenants SELECT 'tenant_' || lpad(n::text, 2, '0'), 'Tenant ' || n FROM generate_series(1, 50) n`;
  const project = await makeProject(MIGRATIONS);
  const query = 'SELECT schema_name AS target, label AS name FROM tenants ORDER BY schema_name';
  const { result: run, peak } = await peakSessions([db.name], () => project.run(['up', '--database', db.url, '--targets-query', query, '--parallel', '8', '--json']));
  assert.equal(run.status, 0, run.stderr);
  assert.ok(peak <= 9, `at most --parallel + 1 sessions at once, saw ${peak}`);
  const results = targetsOf(run.stdout);
  assert.equal(results.size, 50);
  assert.deepEqual(pick(results.get('Tenant 7')), ['ok', 0, undefined]);
  const [{ tables }] = await db.sql<[{ tables: number }]>`SELECT count(*)::int AS tables FROM pg_tables WHERE schemaname LIKE 'tenant\\_%' AND tablename IN ('a', 'b', 'c')`;
  assert.equal(tables, 150);
  assert.deepEqual(await ledgerOf(db.name, 'tenant_50'), [1, 2, 3]);
  assert.equal(await ledgerOf(db.name), undefined, 'nothing in public');

  const status = await project.run(['status', '--database', db.url, '--targets-query', query]);
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /^Tenant 1\s+3\s+0\s+[\d.]+ s\s+ok$/m);
  const none = await project.run(['up', '--database', db.url, '--targets-query', 'SELECT schema_name AS target FROM tenants WHERE false']);
  assert.equal(none.status, 0, none.stderr);
  assert.match(none.stderr, /--targets-query returned no targets: nothing to do/);
  const wrong = await project.run(['up', '--database', db.url, '--targets-query', 'SELECT schema_name FROM tenants']);
  assert.equal(wrong.status, 2, wrong.stderr);
  assert.match(wrong.stderr, /returned no column target \(it returned schema_name\)/);
  // A name printed on every line about its target: an escape or a newline would drive the terminal or fake a line.
  const hostile = await project.run(['up', '--database', db.url, '--targets-query', "SELECT schema_name AS target, E'na\\x1b[7mme\\nZZ' || schema_name AS name FROM tenants"]);
  assert.equal(hostile.status, 2, hostile.stderr);
  assert.match(hostile.stderr, /--targets-query row 1: name \\"na\\\\u001b\[7mme\\\\nZZ[^"]*\\" holds a control character/);
  assert.ok(!hostile.stderr.includes('\u001b'), 'the escape is not printed raw');
});

test('SIGINT stops every running target (its migration rolled back), starts no other, and reports which finished', async () => {
  const names = await databases(6);
  const project = await makeProject({
    'migrations/001_a.sql': 'CREATE TABLE a (id int);\n',
    'migrations/002_slow.sql': 'CREATE TABLE slow (id int);\nSELECT pg_sleep(60);\n',
  });
  await targetsFile(project, names.map((name) => `${name}=${urlFor(name)}`));
  const child = spawnPgshift(['up', '--targets', 'targets.txt', '--parallel', '3'], project.dir, cleanEnv());
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const done = finished(child);
  await waitFor(async () => {
    const [{ sleeping }] = await admin<[{ sleeping: number }]>`SELECT count(*)::int AS sleeping FROM pg_stat_activity WHERE datname = ANY(${names}) AND wait_event = 'PgSleep'`;
    return sleeping === 3;
  }, 'three targets running the slow migration');
  const started = performance.now();
  child.kill('SIGINT');
  const { status, stderr } = await done;
  assert.equal(status, 130, stderr);
  assert.ok(performance.now() - started < 10_000, 'it stopped promptly');
  assert.match(stdout, /^6 targets: 0 ok, 0 failed, 3 interrupted, 3 not started \(interrupted\)$/m);
  const ledgers = await Promise.all(names.map((name) => ledgerOf(name)));
  assert.deepEqual(ledgers, [[1], [1], [1], undefined, undefined, undefined], 'the running ones kept 001 and rolled back 002; the rest never started');
  for (const name of names.slice(0, 3)) assert.equal(await on(name, async (sql) => (await sql`SELECT to_regclass('slow') AS t`)[0]?.['t']), null);
  // A backend ends a moment after its client goes, later on a loaded machine; one still in the 60 s sleep would stay.
  const left = () => admin`SELECT pid, application_name, state, wait_event FROM pg_stat_activity WHERE datname = ANY(${names})`;
  await waitFor(async () => (await left()).length === 0, 'no session left behind').catch(async (error: Error) => {
    throw new Error(`${error.message}: ${JSON.stringify(await left())}`);
  });
});

test('through PgBouncer in transaction mode, two runs over the same six targets with --lock transaction apply each migration once', async () => {
  const bouncer = await startBouncer(3);
  const names = await databases(6);
  const project = await makeProject(MIGRATIONS);
  await targetsFile(project, names.map((name) => `${name}=${bouncer.urlFor(name)}`));
  const args = ['up', '--targets', 'targets.txt', '--lock', 'transaction', '--parallel', '6', '--json'];
  const runs = await Promise.all([project.run(args), project.run(args)]);
  for (const run of runs) assert.equal(run.status, 0, run.stderr);
  const applied = runs.flatMap((run) => [...targetsOf(run.stdout).values()].map((target) => target.migrations.length));
  assert.equal(applied.reduce((sum, count) => sum + count, 0), 18, 'three migrations on each of six databases, once');
  for (const name of names) assert.deepEqual(await ledgerOf(name), [1, 2, 3], name);
});
