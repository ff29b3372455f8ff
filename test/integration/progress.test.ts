/**
 * Live progress of long statements: what the server reports of an index build (phase, rising percentage), a
 * lock wait (the holder's pid and application, never its query), a statement with no progress view (its
 * elapsed time only); the second session that reads it (opened only after a second, with the run's
 * credentials, never the cause of a failure); and how the CLI shows it on a terminal and in a log.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, test } from 'node:test';
import postgres from 'postgres';
import { createMigrator, isPgshiftError, type Logger, type ProgressEvent } from '../../src/index.js';
import { testDatabase, urlFor } from '../support/database.js';
import { ledgerVersions } from '../support/inspect.js';
import { cleanEnv, errorLine, inTerminal, logLines, makeProject } from '../support/project.js';
import { startProxy } from '../support/proxy.js';
import { SLOW_INDEX, slowIndex } from '../support/slow-index.js';
import { waitFor } from '../support/wait.js';

const db = await testDatabase(import.meta.url);


const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** A database of the test's own, for runs that must not see each other's ledgers. */
async function freshDatabase(name: string): Promise<string> {
  const database = `${db.name}_${name}`;
  await db.sql.unsafe(`CREATE DATABASE "${database}"`);
  after(() => db.sql.unsafe(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
  return urlFor(database);
}

async function upWithEvents(project: { readonly dir: string }, url: string, logger: Logger = quiet): Promise<ProgressEvent[]> {
  const events: ProgressEvent[] = [];
  await createMigrator({ cwd: project.dir, database: { url }, logger }).up({ lint: false, onProgress: (event) => events.push(event) });
  return events;
}

test('an index build reports its command, phase and a rising percentage, then that it ended', async () => {
  const project = await makeProject(SLOW_INDEX);
  const events = await upWithEvents(project, await freshDatabase('index'));
  const building = events.filter((event) => event.file === 'migrations/002_index.sql' && event.statement?.command === 'CREATE INDEX');
  assert.ok(building.length >= 2, JSON.stringify(events));
  for (const { statement } of building) {
    assert.equal(statement?.relation, 'big');
    assert.match(statement?.phase ?? '', /^building index/);
    assert.ok((statement?.elapsedMs ?? 0) >= 1000, 'shown only once it has run a second');
  }
  // The scan counts blocks; a reading may also land in a later phase (sorting, loading), which counts tuples.
  const scanning = building.filter((event) => event.statement?.phase === 'building index: scanning table');
  for (const { statement } of scanning) assert.equal(statement?.unit, 'blocks');
  const percents = scanning.map((event) => event.statement?.percent ?? -1);
  assert.ok(percents.every((percent, index) => index === 0 || percent >= (percents[index - 1] ?? 0)), `never falls: ${percents.join(', ')}`);
  assert.ok(new Set(percents).size >= 2, `rises: ${percents.join(', ')}`);
  assert.ok(building.some((event) => event.statement?.phaseSecondsLeft !== undefined), 'a time left once the rate is known');
  const last = events.at(-1);
  assert.deepEqual({ file: last?.file, statement: last?.statement, total: last?.files.total }, { file: 'migrations/002_index.sql', statement: undefined, total: 2 });
  assert.deepEqual(events[0]?.files, { done: 0, total: 2, elapsedMs: events[0]?.files.elapsedMs });
  const watchers = await db.sql`SELECT 1 FROM pg_stat_activity WHERE datname = ${`${db.name}_index`} AND application_name LIKE 'pgshift progress%'`;
  assert.equal(watchers.length, 0, 'the second session is closed when the statement ends');
});

test("a statement waiting for a lock names the holder's pid, application, user and state, never its query", async () => {
  const url = await freshDatabase('lock');
  const holder = postgres(url, { max: 1, onnotice: () => undefined, connection: { application_name: 'lock-holder-test' } });
  await holder.unsafe('CREATE TABLE held (id int)');
  const project = await makeProject({ 'migrations/001_alter.sql': '-- pgshift:lock-timeout=30s\nALTER TABLE held ADD COLUMN v int;\n' });
  const reserved = await holder.reserve();
  await reserved.unsafe("BEGIN; LOCK TABLE held IN ACCESS SHARE MODE; SELECT 'holder-secret-text'");
  const [{ pid }] = await reserved<[{ pid: number }]>`SELECT pg_backend_pid() AS pid`;
  const events: ProgressEvent[] = [];
  const running = createMigrator({ cwd: project.dir, database: { url }, logger: quiet }).up({ lint: false, onProgress: (event) => events.push(event) });
  try {
    await waitFor(async () => events.some((event) => event.statement?.waitingFor !== undefined), 'the wait reported');
  } finally {
    await reserved.unsafe('COMMIT');
    reserved.release();
  }
  await running;
  const waiting = events.find((event) => event.statement?.waitingFor !== undefined);
  assert.deepEqual(waiting?.statement?.waitingFor?.map(({ pid: holderPid, application, user, state }) => ({ holderPid, application, user, state })), [
    { holderPid: pid, application: 'lock-holder-test', user: new URL(url).username || 'postgres', state: 'idle in transaction' },
  ]);
  assert.equal(typeof waiting?.statement?.waitingFor?.[0]?.seconds, 'number');
  assert.ok(!JSON.stringify(events).includes('holder-secret-text'), 'the holder’s query text is never read');
  await holder.end();
});

test("CLUSTER, ANALYZE and COPY report their views' commands and phases", async () => {
  const project = await makeProject({
    ...slowIndex(2000),
    'migrations/003_cluster.sql': 'CLUSTER big USING ix_big_slow;\n',
    'migrations/004_analyze.sql': 'ANALYZE big;\n',
    'migrations/005_copy.sql': "COPY big (id) FROM PROGRAM 'sleep 2; echo 1';\n",
  });
  const events = await upWithEvents(project, await freshDatabase('views'));
  const seen = (file: string) => events.flatMap((event) => (event.file === file && event.statement?.command !== undefined ? [event.statement] : []));
  assert.ok(seen('migrations/003_cluster.sql').some((statement) => statement.command === 'CLUSTER' && statement.relation === 'big' && statement.phase !== undefined), JSON.stringify(events));
  assert.ok(seen('migrations/004_analyze.sql').some((statement) => statement.command === 'ANALYZE' && statement.relation === 'big' && statement.phase !== undefined), JSON.stringify(events));
  assert.ok(seen('migrations/005_copy.sql').some((statement) => statement.command === 'COPY FROM' && statement.relation === 'big'), JSON.stringify(events));
});

test('a statement no progress view covers (pg_sleep) reports its elapsed time only', async () => {
  const project = await makeProject({ 'migrations/001_sleep.sql': 'SELECT pg_sleep(2.2);\n' });
  const events = await upWithEvents(project, await freshDatabase('sleep'));
  const shown = events.flatMap((event) => (event.statement === undefined ? [] : [event.statement]));
  assert.ok(shown.length >= 1, JSON.stringify(events));
  for (const statement of shown) assert.deepEqual(Object.keys(statement), ['elapsedMs']);
});

test('quick statements open no second connection; a long one opens one, with the same password, that reads no query text', async () => {
  const proxy = await startProxy(new URL(db.url));
  after(() => proxy.close());
  const url = new URL(await freshDatabase('proxy'));
  url.host = `127.0.0.1:${proxy.port}`;
  const counter = (await makeProject()).path('asked');
  // The command gives the URL's own password (a server that trusts the connection ignores any), and counts its runs.
  const database = { url: url.toString(), passwordCommand: `echo asked >> '${counter}'; echo '${decodeURIComponent(url.password) || 'ignored-by-trust'}'` };
  const quick = await makeProject({ 'migrations/001_quick.sql': 'CREATE TABLE quick (id int);\n', 'migrations/002_quick.sql': 'SELECT 1;\n' });
  await createMigrator({ cwd: quick.dir, database, logger: quiet }).up({ lint: false, onProgress: () => undefined });
  assert.equal(proxy.connections.length, 1, 'the run alone');
  proxy.reset();
  await quick.write('migrations/003_slow.sql', 'SELECT pg_sleep(2.2);\n');
  await createMigrator({ cwd: quick.dir, database, logger: quiet }).up({ lint: false, onProgress: () => undefined });
  const watchers = proxy.connections.filter((connection) => /^pgshift progress of pid \d+$/.test(connection.parameters['application_name'] ?? ''));
  assert.equal(watchers.length, 1, JSON.stringify(proxy.connections.map((connection) => connection.parameters)));
  assert.equal(proxy.connections.length, 2);
  for (const sql of watchers[0]?.sql ?? []) assert.doesNotMatch(sql, /\bquery\b(?!_start)/, 'no query text is read');
  assert.equal((await readFile(counter, 'utf8')).trim().split('\n').length, 2, 'one password command per run: the second session reuses it');
});

test('a second session the server refuses (connection limit) stops the progress, never the migration', async () => {
  const role = `pgshift_progress_${process.pid}`;
  const database = `${db.name}_limited`;
  await db.sql.unsafe(`CREATE ROLE ${role} LOGIN CONNECTION LIMIT 1 PASSWORD 'limited-pw'`);
  await db.sql.unsafe(`CREATE DATABASE "${database}" OWNER ${role}`);
  after(async () => {
    await db.sql.unsafe(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await db.sql.unsafe(`DROP ROLE IF EXISTS ${role}`);
  });
  const url = new URL(urlFor(database));
  url.username = role;
  url.password = 'limited-pw';
  const project = await makeProject({ 'migrations/001_sleep.sql': 'CREATE TABLE t (id int);\nSELECT pg_sleep(2.2);\n' });
  const warnings: string[] = [];
  const events = await upWithEvents(project, url.toString(), { ...quiet, warn: (message) => void warnings.push(message) });
  const owner = postgres(urlFor(database), { max: 1, onnotice: () => undefined });
  assert.deepEqual(await ledgerVersions(owner), [1]);
  await owner.end();
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0] ?? '', /^progress: cannot read what the statement is doing \(.*too many connections for role.*\); showing elapsed time only$/);
  assert.ok(events.some((event) => event.statement !== undefined), 'elapsed time is still reported');
});

const CLEAR = '\r\u001b[K';

test('on a terminal: one live line for the run and its long statement, redrawn in place and erased at the end', async () => {
  const files = Object.fromEntries(Array.from({ length: 6 }, (_, index) => [`migrations/00${index + 1}_quick.sql`, `CREATE TABLE t${index} (id int);\n`]));
  const url = await freshDatabase('terminal');
  const project = await makeProject({ ...files, 'migrations/007_sleep.sql': 'SELECT pg_sleep(2.2);\n', 'rollbacks/007_sleep.sql': 'SELECT 1;\n' }, url);
  const undo = async (): Promise<void> => assert.equal((await project.run(['down', '--steps', '1'])).status, 0, 'the sleep is applied again next');
  const terminal = async (args: readonly string[]): Promise<string> => (await inTerminal(project.dir, args, cleanEnv({ DATABASE_URL: url }), 200)).stdout;
  const output = await terminal(['up', '--no-lint']);
  const drawn = output.split(CLEAR).slice(1);
  const live = drawn.filter((part) => part.startsWith('files '));
  assert.ok(live.length >= 2, output);
  assert.ok(live.some((part) => /^files 6\/7, 0:\d\d elapsed, ~\d+:\d\d left · 007_sleep\.sql \(7\/7\) \d s$/.test(part)), live.join('\n'));
  // Erased: cleared after it was last drawn, and never drawn again after the last clear.
  const lastDrawn = output.lastIndexOf(live.at(-1) ?? '');
  assert.ok(output.indexOf(CLEAR, lastDrawn) > lastDrawn, 'cleared after its last drawing');
  assert.doesNotMatch(drawn.at(-1) ?? '', /^files |elapsed/);
  assert.match(output, /applied migrations\/007_sleep\.sql/);
  for (const args of [['--no-progress'], ['--json']]) {
    await undo();
    const plain = await terminal(['up', '--no-lint', ...args]);
    assert.match(plain, /007_sleep\.sql/, `${args[0]}: the sleep ran`);
    assert.ok(!plain.includes(CLEAR), `${args[0]}: no live line`);
  }
  // A terminal that cannot redraw a line (TERM=dumb) gets the progress as log lines instead.
  await undo();
  const dumb = (await inTerminal(project.dir, ['up', '--no-lint', '--progress-interval', '1'], cleanEnv({ DATABASE_URL: url, TERM: 'dumb' }), 200)).stdout;
  assert.ok(!dumb.includes('\u001b[K'), 'TERM=dumb: no erase codes');
  assert.match(dumb, /INFO.*migrations\/007_sleep\.sql [12] s/);
});

test('without a terminal: a log line with the fields every --progress-interval; --no-progress none; a bad interval is exit 2', async () => {
  const project = await makeProject({ 'migrations/001_sleep.sql': 'SELECT pg_sleep(2.2);\n', 'rollbacks/001_sleep.sql': 'SELECT 1;\n' }, await freshDatabase('log'));
  const logged = await project.run(['up', '--no-lint', '--progress-interval', '1']);
  assert.equal(logged.status, 0, logged.stderr);
  const lines = logLines(logged.stderr).filter((line) => line['progress'] !== undefined);
  assert.ok(lines.length >= 1, logged.stderr);
  for (const line of lines) {
    assert.match(String(line['msg']), /^migrations\/001_sleep\.sql [12] s$/);
    assert.deepEqual(Object.keys(line['progress'] as object), ['file', 'files', 'elapsedMs']);
  }
  assert.equal((await project.run(['down'])).status, 0, 'the sleep is applied again next');
  const silent = await project.run(['up', '--no-lint', '--no-progress', '--progress-interval', '1']);
  assert.equal(silent.status, 0, silent.stderr);
  assert.match(silent.stderr, /applied migrations\/001_sleep\.sql/);
  assert.deepEqual(logLines(silent.stderr).filter((line) => line['progress'] !== undefined), []);
  for (const bad of ['0', 'soon', '-1']) {
    const refused = await project.run(['up', '--progress-interval', bad]);
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(String(errorLine(refused.stderr)['msg']), /--progress-interval/);
  }
});

test('an onProgress that throws is told no more, said once, and the run goes on; one that is not a function is refused', async () => {
  const project = await makeProject({ 'migrations/001_a.sql': 'CREATE TABLE a (id int);\n', 'migrations/002_b.sql': 'CREATE TABLE b (id int);\n' });
  const url = await freshDatabase('throws');
  const warnings: string[] = [];
  let calls = 0;
  const migrator = createMigrator({ cwd: project.dir, database: { url }, logger: { ...quiet, warn: (message) => void warnings.push(message) } });
  const result = await migrator.up({
    lint: false,
    onProgress: () => {
      calls++;
      throw new Error('a broken progress bar');
    },
  });
  assert.deepEqual(result.migrations.map((migration) => migration.version), [1, 2]);
  assert.equal(calls, 1);
  assert.deepEqual(warnings, ['progress: onProgress threw (a broken progress bar); no more progress events for this run']);
  await assert.rejects(migrator.down({ onProgress: 'yes' as unknown as () => void }), (error) => isPgshiftError(error) && error.code === 'USAGE' && /^onProgress must be a function, not string$/.test(error.message));
});
