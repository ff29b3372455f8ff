/**
 * Test databases: a template migrated once per set of files, cloned per test. A clone is the database a
 * fresh `up` makes, independent of every other; a failed build leaves nothing behind; parallel workers build
 * a template once; a template someone is connected to is refused with their pid; prune drops what it should
 * and nothing else; the CLI prints URLs with the password hidden.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { createMigrator, createTestDatabase, isPgshiftError, type Logger } from '../../src/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { compareSnapshots } from '../../src/core/schema-diff.js';
import { openSession } from '../../src/db/connect.js';
import { resolveLedgerTable } from '../../src/db/ledger.js';
import { TEST_DATABASES_LOCK } from '../../src/db/test-databases.js';
import { takeSnapshot } from '../../src/db/snapshot.js';
import { serverUrl, testDatabase, urlFor } from '../support/database.js';
import { driftHistory } from '../support/drift-history.js';
import { errorLine, makeProject, repoRoot, type Project } from '../support/project.js';
import { waitFor } from '../support/wait.js';

const admin = postgres(serverUrl(), { max: 2, onnotice: () => undefined });
const made = new Set<string>();
after(async () => {
  // Whatever a test left: its clones and templates (the names it used are unique to this run's files). Under
  // the test databases' lock, as pgshift drops them: a build in another file would take a template being
  // unmarked here for a build that did not finish, and drop it too.
  const sql = await admin.reserve();
  // Bounded: a holder that hangs fails this file's clean-up instead of the whole run.
  await sql.unsafe(`SET lock_timeout = '120s'`);
  await sql.unsafe(`SELECT pg_advisory_lock(${TEST_DATABASES_LOCK.sql})`);
  const rows = await sql<{ datname: string; datistemplate: boolean }[]>`SELECT datname, datistemplate FROM pg_database`;
  for (const { datname, datistemplate } of rows) {
    if (![...made].some((prefix) => datname.startsWith(prefix))) continue;
    if (datistemplate) await sql.unsafe(`ALTER DATABASE "${datname}" WITH IS_TEMPLATE false`);
    await sql.unsafe(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  }
  await sql.unsafe(`SELECT pg_advisory_unlock(${TEST_DATABASES_LOCK.sql})`);
  sql.release();
  await admin.end({ timeout: 5 });
});

/** A project whose files are this run's own, so its template is too. */
async function project(files: Record<string, string>): Promise<Project> {
  const stamp = `-- ${process.pid} ${Date.now()} ${Math.random()}\n`;
  const marked = Object.fromEntries(Object.entries(files).map(([path, text]) => [path, path.startsWith('migrations/001') ? stamp + text : text]));
  return makeProject(marked);
}

/** Dropped after the file, with its template's clones (a clone's name starts with its template's hash) or template. */
function remember(name: string): string {
  const hash = name.startsWith('pgshift_tpl_') ? name.slice('pgshift_tpl_'.length, 'pgshift_tpl_'.length + 8) : name.slice('pgshift_test_'.length, 'pgshift_test_'.length + 8);
  made.add(`pgshift_tpl_${hash}`);
  made.add(`pgshift_test_${hash}`);
  made.add(`pgshift_spare_${hash}`);
  return name;
}

/** A logger that keeps what it is told. */
function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const keep = (message: string): void => void lines.push(message);
  return { logger: { debug: () => undefined, info: keep, warn: keep, error: keep }, lines };
}

const USERS = {
  'migrations/001_users.sql': 'CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL UNIQUE);\n',
  'migrations/002_seed.sql': "INSERT INTO users (email) VALUES ('first@example.com');\n",
};

async function templates(prefix: string): Promise<Array<{ datname: string; datistemplate: boolean; datallowconn: boolean }>> {
  return [...(await admin<Array<{ datname: string; datistemplate: boolean; datallowconn: boolean }>>`
    SELECT datname, datistemplate, datallowconn FROM pg_database WHERE datname LIKE 'pgshift\\_tpl\\_%' AND datname LIKE ${`${prefix}%`}`)];
}

test('a clone is the database a fresh up makes: the same catalog, the same ledger rows, its own data', async () => {
  const files = await project(driftHistory(60));
  const { logger, lines } = capture();
  const first = await createTestDatabase({ cwd: files.dir, database: { url: serverUrl() }, logger });
  remember(first.name);
  const template = /template (pgshift_tpl_[0-9a-f]{32}) built/.exec(lines.join('\n'))?.[1];
  assert.ok(template, lines.join('\n'));
  remember(template);
  assert.ok(Buffer.byteLength(template) <= 63 && Buffer.byteLength(first.name) <= 63);
  assert.equal(first.url, urlFor(first.name));
  assert.deepEqual(await templates(template), [{ datname: template, datistemplate: true, datallowconn: false }]);

  const fresh = await testDatabase(import.meta.url);
  await createMigrator({ cwd: files.dir, database: { url: fresh.url } }).up();
  const ledger = resolveLedgerTable('schema_migrations', 'public');
  const [expected, actual] = await Promise.all([fresh.url, first.url].map(async (url) => {
    const session = await openSession({ url }, silentLogger);
    try {
      return await takeSnapshot(session, ledger);
    } finally {
      await session.close();
    }
  }));
  assert.deepEqual(compareSnapshots(expected!, actual!, { privileges: true }), []);
  const rows = async (url: string): Promise<unknown> => {
    const sql = postgres(url, { max: 1, onnotice: () => undefined });
    try {
      return await sql`SELECT version, name, checksum FROM schema_migrations ORDER BY version`;
    } finally {
      await sql.end();
    }
  };
  assert.deepEqual(await rows(first.url), await rows(fresh.url));
  await first.drop();
  assert.equal((await admin`SELECT 1 FROM pg_database WHERE datname = ${first.name}`).length, 0);
});

test('clones are independent, and a second clone builds nothing', async () => {
  const files = await project(USERS);
  const { logger, lines } = capture();
  const options = { cwd: files.dir, database: { url: serverUrl() }, logger };
  const [a, b] = [remember((await createTestDatabase(options)).name), remember((await createTestDatabase(options)).name)];
  assert.equal(lines.filter((line) => / built in /.test(line)).length, 1, lines.join('\n'));
  assert.notEqual(a, b);
  const one = postgres(urlFor(a), { max: 1 });
  const two = postgres(urlFor(b), { max: 1 });
  await one`INSERT INTO users (email) VALUES ('only-in-a@example.com')`;
  assert.deepEqual((await two`SELECT email FROM users ORDER BY id`).map((row) => row['email']), ['first@example.com']);
  assert.deepEqual((await one`SELECT email FROM users ORDER BY id`).map((row) => row['email']), ['first@example.com', 'only-in-a@example.com']);
  await Promise.all([one.end(), two.end()]);
});

test('any change to the files, --schema or --table makes another template; the same inputs the same one', async () => {
  const files = await project(USERS);
  const built = async (extra: Record<string, unknown> = {}): Promise<string> => {
    const { logger, lines } = capture();
    remember((await createTestDatabase({ cwd: files.dir, database: { url: serverUrl() }, logger, ...extra })).name);
    const name = /(pgshift_tpl_[0-9a-f]{32})/.exec(lines.join('\n'))?.[1] ?? '';
    return remember(name);
  };
  const plain = await built();
  assert.equal(await built(), plain);
  assert.notEqual(await built({ schema: 'app' }), plain);
  assert.notEqual(await built({ table: 'ledger' }), plain);
  await files.write('repeatable/v_users.sql', 'CREATE OR REPLACE VIEW v_users AS SELECT id FROM users;\n');
  const withView = await built();
  assert.notEqual(withView, plain);
  await files.write('migrations/003_more.sql', 'ALTER TABLE users ADD COLUMN name text;\n');
  assert.notEqual(await built(), withView);
});

test('a failing migration leaves no template behind, and the next call, with the file fixed, builds it', async () => {
  const files = await project({ ...USERS, 'migrations/003_broken.sql': 'ALTER TABLE users ADD COLUMN age int;\nALTER TABLE nowhere ADD COLUMN x int;\n' });
  const { logger, lines } = capture();
  const options = { cwd: files.dir, database: { url: serverUrl() }, logger };
  await assert.rejects(createTestDatabase(options), (error) => {
    assert.ok(isPgshiftError(error));
    assert.equal(error.code, 'MIGRATION_FAILED');
    assert.match(error.message, /^building the test databases' template: migrations\/003_broken\.sql:2/);
    // Not up's "run up again": the template it would resume in is gone.
    assert.equal(error.hint, 'nothing of the template is left: fix the file, then ask for a test database again');
    assert.equal(error.target, undefined);
    return true;
  });
  const prefix = lines.map((line) => /(pgshift_tpl_[0-9a-f]{32})/.exec(line)?.[1]).find(Boolean);
  assert.ok(prefix, lines.join('\n'));
  remember(prefix);
  assert.deepEqual(await templates(prefix), []);
  await files.write('migrations/003_broken.sql', 'ALTER TABLE users ADD COLUMN age int;\n');
  const database = await createTestDatabase(options);
  remember(database.name);
  const sql = postgres(database.url, { max: 1 });
  assert.deepEqual((await sql`SELECT count(*)::int AS n FROM schema_migrations`)[0], { n: 3 });
  await sql.end();
});

test("a build whose connection is lost is no file's fault: the hint says to ask again, and no template is left", async () => {
  const files = await project({ ...USERS, 'migrations/003_slow.sql': 'SELECT pg_sleep(60);\n' });
  const { logger, lines } = capture();
  const building = createTestDatabase({ cwd: files.dir, database: { url: serverUrl() }, logger }).then(() => undefined, (error: unknown) => error);
  let prefix: string | undefined;
  await waitFor(async () => {
    prefix = lines.map((line) => /(pgshift_tpl_[0-9a-f]{32})/.exec(line)?.[1]).find(Boolean);
    if (prefix === undefined) return false;
    const ended = await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${prefix} AND wait_event = 'PgSleep'`;
    return ended.length > 0;
  }, 'the build running the slow file');
  remember(prefix!);
  const error = await building;
  assert.ok(isPgshiftError(error), String(error));
  assert.equal(error.code, 'CONNECTION_LOST');
  assert.equal(error.hint, 'nothing of the template is left: ask for a test database again once the server is reachable');
  assert.deepEqual(await templates(prefix!), []);
});

test('a statement that acts on the whole server is said at the build, with its file and line; drop() twice and keep() after it are refused', async () => {
  const role = `pgshift_tdb_role_${process.pid}`;
  const files = await project({ ...USERS, 'migrations/003_role.sql': `-- made and dropped again\nCREATE ROLE ${role};\n`, 'migrations/004_drop_role.sql': `DROP ROLE ${role};\n` });
  const { logger, lines } = capture();
  const database = await createTestDatabase({ cwd: files.dir, database: { url: serverUrl() }, logger });
  remember(database.name);
  assert.ok(
    lines.some((line) => line.startsWith('migrations/003_role.sql:2: CREATE ROLE acts on the whole server or database, not inside the template')),
    lines.join('\n'),
  );
  await database.drop();
  for (const again of [() => database.drop(), () => database.keep()]) {
    await assert.rejects(again(), (error) => isPgshiftError(error) && error.code === 'USAGE' && /is no longer on the server/.test(error.message));
  }
});

/** The spares of a template on the server, once the one being made (if any) is there. */
async function sparesOf(template: string, count: number): Promise<string[]> {
  const names = async (): Promise<string[]> =>
    (await admin<{ datname: string }[]>`SELECT datname FROM pg_database WHERE datname LIKE ${`pgshift\\_spare\\_${template.slice('pgshift_tpl_'.length)}\\_%`} ORDER BY 1`).map((row) => row.datname);
  for (let waited = 0; waited < 60_000 && (await names()).length < count; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
  return names();
}

test('8 workers asking for 32 databases at once, with 2 spares, build the template once, get 32 names, and leave 2 spares at most', async () => {
  const files = await project(driftHistory(40));
  const script = `
    import { createTestDatabase } from ${JSON.stringify(`${repoRoot}dist/index.js`)};
    const log = (message) => console.log(JSON.stringify({ message }));
    const logger = { debug() {}, info: log, warn: log, error: log };
    const made = await Promise.all([1, 2, 3, 4].map(() => createTestDatabase({ cwd: process.argv[1], database: { url: process.env.TEST_DATABASE_URL }, logger, spares: 2 })));
    for (const database of made) console.log(JSON.stringify({ name: database.name }));`;
  const run = promisify(execFile);
  const outputs = await Promise.all(Array.from({ length: 8 }, () => run(process.execPath, ['--input-type=module', '-e', script, files.dir])));
  const lines = outputs.flatMap(({ stdout }) => stdout.trim().split('\n').map((line) => JSON.parse(line) as { name?: string; message?: string }));
  const names = lines.flatMap((line) => (line.name === undefined ? [] : [remember(line.name)]));
  const builds = lines.filter((line) => / built in /.test(line.message ?? ''));
  const template = remember(/(pgshift_tpl_[0-9a-f]{32})/.exec(builds[0]?.message ?? '')?.[1] ?? 'none');
  assert.equal(builds.length, 1, JSON.stringify(lines, null, 1));
  assert.equal(new Set(names).size, 32);
  // Every worker waited for the spare it was making: what is there now is all there will be.
  const spares = await sparesOf(template, 0);
  assert.ok(spares.length >= 1 && spares.length <= 2, spares.join(', '));
});

test('a template another client is connected to is refused with TEMPLATE_BUSY, naming its pid and application', async () => {
  const files = await project(USERS);
  const { logger, lines } = capture();
  const options = { cwd: files.dir, database: { url: serverUrl() }, logger };
  remember((await createTestDatabase(options)).name);
  const template = remember(/(pgshift_tpl_[0-9a-f]{32})/.exec(lines.join('\n'))?.[1] ?? '');
  await admin.unsafe(`ALTER DATABASE ${template} WITH ALLOW_CONNECTIONS true`);
  const holder = postgres(urlFor(template), { max: 1, connection: { application_name: 'someone-looking' } });
  const [{ pid }] = await holder<[{ pid: number }]>`SELECT pg_backend_pid() AS pid`;
  try {
    await assert.rejects(createTestDatabase(options), (error) => {
      assert.ok(isPgshiftError(error));
      assert.equal(error.code, 'TEMPLATE_BUSY');
      assert.match(error.message, new RegExp(`pid ${pid} \\(someone-looking\\)`));
      assert.match(error.hint ?? '', /close that connection/);
      return true;
    });
  } finally {
    await holder.end();
  }
});

test('spares: the next test database is a spare taken by a rename; two asking for the last spare at once get two databases; a spare goes with its template', async () => {
  const files = await project(USERS);
  const { logger, lines } = capture();
  const options = { cwd: files.dir, database: { url: serverUrl() }, logger, spares: 1 };
  const first = await createTestDatabase(options);
  remember(first.name);
  const template = /(pgshift_tpl_[0-9a-f]{32})/.exec(lines.join('\n'))?.[1] ?? '';
  const [spare] = await sparesOf(template, 1);
  assert.equal(spare, `pgshift_spare_${template.slice('pgshift_tpl_'.length)}_1`);
  // Closed, as its template is: nothing can change it before a test takes it.
  const intruder = postgres(urlFor(spare!), { max: 1, connect_timeout: 10 });
  await assert.rejects(intruder`SELECT 1`, /is not currently accepting connections/);
  await intruder.end();

  const second = await createTestDatabase(options);
  assert.ok(lines.includes(`test database ${second.name} taken from the spare ${spare} of ${template}`), lines.join('\n'));
  const sql = postgres(second.url, { max: 1 });
  assert.deepEqual((await sql`SELECT email FROM users`).map((row) => row['email']), ['first@example.com']);
  assert.deepEqual((await sql`SELECT version FROM schema_migrations ORDER BY 1`).map((row) => Number(row['version'])), [1, 2]);
  await sql`INSERT INTO users (email) VALUES ('only-in-second@example.com')`;
  await sql.end();

  // One spare again (made while the test ran), and two asking at once: one takes it, the other copies.
  const [next] = await sparesOf(template, 1);
  assert.equal(next, spare, 'made again in the slot the taken one left');
  const both = await Promise.all([createTestDatabase(options), createTestDatabase(options)]);
  assert.notEqual(both[0].name, both[1].name);
  // One takes the spare; the other copies, or takes the spare the first one's refill made meanwhile.
  const fromSpare = both.filter((database) => lines.includes(`test database ${database.name} taken from the spare ${next} of ${template}`));
  assert.ok(fromSpare.length >= 1, lines.join('\n'));
  for (const database of both) {
    const each = postgres(database.url, { max: 1 });
    assert.deepEqual((await each`SELECT email FROM users`).map((row) => row['email']), ['first@example.com'], 'a copy of the template, not of the second database');
    await each.end();
  }

  // One left in a slot past a lowered number is taken first, also by a call that keeps none itself.
  const high = `pgshift_spare_${template.slice('pgshift_tpl_'.length)}_3`;
  await admin.unsafe(`CREATE DATABASE ${high} TEMPLATE ${template} ALLOW_CONNECTIONS false`);
  const drained = await createTestDatabase({ ...options, spares: 0 });
  remember(drained.name);
  assert.ok(lines.includes(`test database ${drained.name} taken from the spare ${high} of ${template}`), lines.join('\n'));

  // Files changed: prune drops the old template and its spare.
  const [kept] = await sparesOf(template, 1);
  // Opened by someone (its owner may): never taken, as it may have been changed; its slot stays held.
  await admin.unsafe(`ALTER DATABASE ${kept} WITH ALLOW_CONNECTIONS true`);
  const opened = await createTestDatabase(options);
  remember(opened.name);
  assert.ok(lines.includes(`test database ${opened.name} cloned from ${template}`), lines.join('\n'));
  await files.write('migrations/003_more.sql', 'CREATE TABLE more (id int);\n');
  const result = await createMigrator({ cwd: files.dir, database: { url: serverUrl() } }).pruneTestDatabases();
  remember(result.dropped.find(({ name }) => name.startsWith('pgshift_tpl_'))?.name ?? template);
  const dropped = new Map(result.dropped.map(({ name, reason }) => [name, reason]));
  assert.equal(dropped.get(template), 'not the template of these files (other files, or another role, server or pgshift version)');
  assert.ok(kept !== undefined);
  assert.equal(dropped.get(kept), `a spare of ${template}`);
  assert.deepEqual(await sparesOf(template, 0), []);
});

test('spares and keepSeconds must be whole numbers of 0 or more', async () => {
  const files = await project(USERS);
  const refused = new Map<unknown, string>([
    [-1, 'spares -1 is not a whole number, 0 or more'],
    [1.5, 'spares 1.5 is not a whole number, 0 or more'],
    [Number.NaN, 'spares NaN is not a whole number, 0 or more'],
    ['2', 'spares must be a number, not a string ("2")'],
    [true, 'spares must be a number, not a boolean'],
    [{}, 'spares must be a number, not an object'],
    [null, 'spares must be a number, not a null'],
    [1e21, 'spares 1e+21 is more than 64: each spare is a whole copy of the template, kept on the server'],
    [2 ** 53, 'spares 9007199254740992 is more than 64: each spare is a whole copy of the template, kept on the server'],
    [65, 'spares 65 is more than 64: each spare is a whole copy of the template, kept on the server'],
  ]);
  for (const [bad, message] of refused) {
    await assert.rejects(createTestDatabase({ cwd: files.dir, database: { url: serverUrl() }, spares: bad as number }), (error: Error & { code?: string; hint?: string }) => {
      assert.equal(error.code, 'USAGE');
      assert.equal(error.message, message);
      assert.equal(error.hint, typeof bad === 'number' && bad >= 65 ? 'give spares a whole number from 0 to 64; one or two keep a test run fed' : 'give spares a whole number, 0 or more');
      return true;
    });
  }
  await assert.rejects(createMigrator({ cwd: files.dir, database: { url: serverUrl() } }).pruneTestDatabases({ keepSeconds: -5 }), /keepSeconds -5 is not a number of seconds/);
  // Leaving database out is no way to the embedded server here: the hint says what is.
  await assert.rejects(createTestDatabase({ cwd: files.dir, database: { url: process.env['PGSHIFT_UNSET_IN_TESTS'] as string } }), (error: Error & { hint?: string }) => /createTestDatabase: embedded: true instead/.test(error.hint ?? ''));
  // Refused before the embedded server would start: nothing made for it.
  await assert.rejects(createTestDatabase({ cwd: files.dir, embedded: true, spares: -1 }), /spares -1 is not a whole number/);
  assert.equal(await readdir(files.path('.pgshift')).then((names) => names.includes('test-server'), () => false), false);
});

test('prune drops templates of other files, unfinished builds, old clones and those of gone processes; keeps kept ones', async () => {
  const files = await project(USERS);
  const { logger, lines } = capture();
  const options = { cwd: files.dir, database: { url: serverUrl() }, logger };
  const live = await createTestDatabase(options);
  remember(live.name);
  const current = remember(/(pgshift_tpl_[0-9a-f]{32})/.exec(lines.join('\n'))?.[1] ?? '');
  const kept = await createTestDatabase(options);
  await kept.keep();
  const hash = current.slice('pgshift_tpl_'.length, 'pgshift_tpl_'.length + 8);
  const host = live.name.split('_')[3];
  const now = Math.floor(Date.now() / 1000);
  const stale = remember(`pgshift_tpl_${'0'.repeat(24)}${hash}`);
  const unfinished = remember(`pgshift_tpl_${'1'.repeat(24)}${hash}`);
  const old = remember(`pgshift_test_${hash}_${host}_${process.pid}_${now - 3 * 86400}_abcd`);
  const orphan = remember(`pgshift_test_${hash}_${host}_99999999_${now}_abcd`);
  const elsewhere = remember(`pgshift_test_${hash}_000000_99999999_${now}_abcd`);
  const detached = remember(`pgshift_test_${hash}_${host}_0_${now}_abcd`);
  // Made under the test databases' lock, as a build makes a template: a build in another file between the
  // CREATE and the ALTER would drop the template not yet marked, and an ALTER of a database being dropped
  // ends its session (FATAL: cannot alter invalid database).
  const maker = await admin.reserve();
  try {
    await maker.unsafe(`SELECT pg_advisory_lock(${TEST_DATABASES_LOCK.sql})`);
    for (const name of [stale, unfinished, old, orphan, elsewhere, detached]) await maker.unsafe(`CREATE DATABASE ${name}`);
    await maker.unsafe(`ALTER DATABASE ${stale} WITH IS_TEMPLATE true`);
  } finally {
    await maker.unsafe(`SELECT pg_advisory_unlock(${TEST_DATABASES_LOCK.sql})`);
    maker.release();
  }

  // An old clone someone is connected to is left, and said so.
  const busy = remember(`pgshift_test_${hash}_${host}_${process.pid}_${now - 2 * 86400}_abcd`);
  await admin.unsafe(`CREATE DATABASE ${busy}`);
  const user = postgres(urlFor(busy), { max: 1 });
  await user`SELECT 1`;
  const result = await createMigrator(options).pruneTestDatabases();
  await user.end();
  assert.deepEqual(result.left.filter(({ name }) => name === busy), [{ name: busy, reason: 'in use' }]);
  const dropped = new Map(result.dropped.map(({ name, reason }) => [name, reason]));
  // A build in another file, between their making and this prune, may drop these two first (one built long
  // ago, one unfinished): either way they are gone (checked below), and prune's reasons are these.
  const reasons = new Map([
    [stale, 'not the template of these files (other files, or another role, server or pgshift version)'],
    [unfinished, 'a template whose build did not finish'],
  ]);
  for (const [name, reason] of reasons) if (dropped.has(name)) assert.equal(dropped.get(name), reason);
  assert.equal(dropped.get(old), 'made 3 days ago');
  assert.equal(dropped.get(orphan), 'left by process 99999999, which is gone');
  for (const name of [current, live.name, kept.name, elsewhere, detached]) assert.ok(!dropped.has(name), `${name} stays`);
  const left = new Set((await admin<{ datname: string }[]>`SELECT datname FROM pg_database`).map((row) => row.datname));
  for (const name of [stale, unfinished, old, orphan]) assert.ok(!left.has(name), `${name} is gone`);
  for (const name of [current, live.name, kept.name, elsewhere, detached]) assert.ok(left.has(name), `${name} is still there`);
  // --keep 0 (every clone old enough) is left to the unit tests: on this shared server it would drop other files' clones.
});

test('a role without CREATEDB is told to get it; one that does not own a test database is told who may drop it', async () => {
  const files = await project(USERS);
  const role = `pgshift_tdb_plain_${process.pid}`;
  await admin.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD 'plain-pw'`);
  try {
    const url = new URL(serverUrl());
    url.username = role;
    url.password = 'plain-pw';
    const env = { DATABASE_URL: url.toString() };
    const refused = await files.run(['test-db', 'create'], { env });
    assert.equal(refused.status, 1, refused.stderr);
    assert.match(String(errorLine(refused.stderr)['hint']), /need a role that may create databases: ALTER ROLE \.\.\. CREATEDB/);
    const made = await files.run(['test-db', 'create', '--json'], { env: { DATABASE_URL: serverUrl() } });
    assert.equal(made.status, 0, made.stderr);
    const { name } = JSON.parse(made.stdout) as { name: string };
    remember(name);
    const notOwner = await files.run(['test-db', 'drop', name], { env });
    assert.equal(notOwner.status, 1, notOwner.stderr);
    assert.match(String(errorLine(notOwner.stderr)['hint']), /only the role that made a test database \(its owner\) or a superuser may drop or keep it/);
  } finally {
    await admin.unsafe(`DROP ROLE IF EXISTS ${role}`);
  }
});

test('the CLI: create prints the URL with the password hidden, --json too; drop and prune; a bad name or --keep is exit 2', async () => {
  const files = await project(USERS);
  // The embedded server's URL carries a password; PostgreSQL 15 here trusts, and ignores the one added.
  const url = new URL(serverUrl());
  if (url.password === '') url.password = 'sekrit-pw';
  const secret = decodeURIComponent(url.password);
  const env = { DATABASE_URL: url.toString() };
  const created = await files.run(['test-db', 'create'], { env });
  assert.equal(created.status, 0, created.stderr);
  const name = remember(/\/(pgshift_test_[0-9a-f_]+)\n$/.exec(created.stdout)?.[1] ?? '');
  assert.match(created.stdout, /^postgres:\/\/[^:]+:\*\*\*@/);
  const json = await files.run(['test-db', 'create', '--json'], { env });
  assert.equal(json.status, 0, json.stderr);
  const answer = JSON.parse(json.stdout) as { name: string; url: string };
  remember(answer.name);
  assert.match(answer.url, /:\*\*\*@/);
  for (const output of [created, json]) assert.ok(!(output.stdout + output.stderr).includes(secret), 'the password is printed nowhere');

  // drop takes the name, or the URL create printed.
  const dropped = await files.run(['test-db', 'drop', name], { env });
  assert.equal(dropped.status, 0, dropped.stderr);
  assert.equal(dropped.stdout, `dropped ${name}\n`);
  const byUrl = await files.run(['test-db', 'drop', answer.url], { env });
  assert.equal(byUrl.status, 0, byUrl.stderr);
  assert.equal(byUrl.stdout, `dropped ${answer.name}\n`);
  for (const [args, message] of [
    [['test-db', 'drop', name], /there is no test database/],
    [['test-db', 'drop', 'postgres'], /"postgres" is not the name of a test database/],
    [['test-db', 'create', '--keep', 'soon'], /--keep "soon" is not a duration/],
    [['test-db', 'prune', '--keep', '-1d'], /--keep "-1d" is not a duration/],
    [['test-db', 'prune', '--keep', '99999999999999999d'], /--keep "99999999999999999d" is too large/],
    [['test-db', 'drop', answer.url.replace(/:(\d+)\//, ':1/')], /^the URL names the server [^:]+:1, but this command reaches /],
    [['test-db'], /name a test-db command: create, drop or prune/],
  ] as const) {
    const run = await files.run(args, { env });
    assert.equal(run.status, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(String(errorLine(run.stderr)['msg']), message);
  }
  // A URL pgshift cannot read (a bad escape, another scheme, an upper-case one as libpq refuses it) is said with its password hidden.
  const unreadable = new URL(url);
  unreadable.pathname = '/pgshift_test_%zz';
  for (const given of [unreadable.toString(), unreadable.toString().replace('postgres://', 'mysql://'), answer.url.replace('postgres://', 'POSTGRES://')]) {
    const run = await files.run(['test-db', 'drop', given], { env });
    assert.equal(run.status, 2, run.stderr);
    assert.match(String(errorLine(run.stderr)['msg']), /^(postgres|mysql|POSTGRES):\/\/[^:]+:\*\*\*@.* (is not a URL pgshift can read|does not start with postgres:\/\/ or postgresql:\/\/ \(in lower case, as libpq reads it\))$/);
    assert.ok(!(run.stdout + run.stderr).includes(secret), `the password is not printed: ${run.stderr}`);
  }
  const none = await files.run(['test-db', 'create'], { env: { DATABASE_URL: undefined } });
  assert.equal(none.status, 2, none.stderr);
  assert.match(String(errorLine(none.stderr)['msg']), /test databases need a PostgreSQL server that outlives the command/);
  // A clone made by the CLI belongs to no process: prune leaves it until it is old.
  const kept = remember(JSON.parse((await files.run(['test-db', 'create', '--json'], { env })).stdout).name as string);
  const pruned = await files.run(['test-db', 'prune'], { env });
  assert.equal(pruned.status, 0, pruned.stderr);
  assert.doesNotMatch(pruned.stdout, new RegExp(kept));
  // Files with a problem make no template: prune refuses rather than take every template for another files' one.
  await files.write('migrations/stray.sql', 'SELECT 1;\n');
  const refused = await files.run(['test-db', 'prune'], { env });
  assert.equal(refused.status, 3, refused.stderr);
  // So do files a build would refuse: a syntax error, a file still unwritten.
  await files.remove('migrations/stray.sql');
  for (const [text, problem] of [['CREATE TABLE x (a int,);\n', 'SYNTAX_ERROR'], ['-- pgshift:unwritten\nSELECT 1;\n', 'UNWRITTEN']] as const) {
    await files.write('migrations/009_bad.sql', text);
    const stopped = await files.run(['test-db', 'prune'], { env });
    assert.equal(stopped.status, 3, stopped.stderr);
    const { problems } = errorLine(stopped.stderr) as { problems: Array<{ code: string; file: string }> };
    assert.deepEqual(problems.map(({ code, file }) => ({ code, file })), [{ code: problem, file: 'migrations/009_bad.sql' }]);
  }
});
