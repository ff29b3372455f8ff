/**
 * Which database a run reaches and what it says about it (issue 11): the real environment's target beats a
 * .env file as a whole, the target is named on connect and in errors, malformed inputs are usage errors,
 * numbers and durations are checked before connecting, and a lost connection is noticed at once.
 */
import assert from 'node:assert/strict';
import { userInfo } from 'node:os';
import { test } from 'node:test';
import { testDatabase } from '../support/database.js';
import { ledgerVersions, tableExists } from '../support/inspect.js';
import { cleanEnv, errorLine, finished, logLines, makeProject, spawnPgshift, type CliResult } from '../support/project.js';
import { waitFor } from '../support/wait.js';

const prod = await testDatabase(import.meta.url);
const local = await testDatabase(import.meta.url);
const named = await testDatabase(import.meta.url);
const NOWHERE = 'postgres://postgres@127.0.0.1:1/nowhere';

/** The libpq variables that reach `url`'s database. */
function pgVariables(url: string): Record<string, string> {
  const parsed = new URL(url);
  return {
    PGHOST: parsed.hostname,
    PGPORT: parsed.port || '5432',
    PGUSER: decodeURIComponent(parsed.username),
    PGDATABASE: decodeURIComponent(parsed.pathname.slice(1)),
    ...(parsed.password === '' ? {} : { PGPASSWORD: decodeURIComponent(parsed.password) }),
  };
}

function targetOf(url: string): string {
  const parsed = new URL(url);
  return `${decodeURIComponent(parsed.username)}@${parsed.hostname}:${parsed.port || '5432'}/${parsed.pathname.slice(1)}`;
}

function connectedLines(run: CliResult): Array<Record<string, unknown>> {
  return logLines(run.stderr).filter((line) => String(line['msg']).startsWith('connected to '));
}

function assertUsage(run: CliResult, message: RegExp): void {
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, message);
  assert.doesNotMatch(run.stderr, /URIError|unexpected error|\n\s+at /, 'no Node error and no stack trace');
}

test('exported PG variables beat a DATABASE_URL in .env: the exported database is migrated, the .env one ignored with a warning', async () => {
  const project = await makeProject({ 'migrations/001_t.sql': 'CREATE TABLE marker (id int);\n', '.env': `DATABASE_URL=${local.url}\n` });
  const run = await project.run(['up'], { env: pgVariables(prod.url) });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(await tableExists(prod.sql, 'marker'), true, 'the exported database was migrated');
  assert.equal(await tableExists(local.sql, 'marker'), false, 'the .env database was not touched');
  const warning = logLines(run.stderr).find((line) => line['level'] === 40);
  assert.match(String(warning?.['msg']), new RegExp(`ignored DATABASE_URL from ${project.path('.env')}: the environment already chooses the database \\(PGHOST, PGPORT, PGDATABASE, PGUSER\\)`));
  const [connected, ...more] = connectedLines(run);
  assert.equal(more.length, 0, 'one line names the target');
  assert.equal(connected?.['level'], 30);
  assert.equal(connected?.['target'], targetOf(prod.url));
  assert.equal(connected?.['source'], 'PGHOST, PGPORT, PGDATABASE, PGUSER from the environment');
  assert.equal(connected?.['tls'], false);
  assert.match(String(connected?.['msg']), /^connected to \S+ \(sslmode not set, no TLS\), chosen by PGHOST, PGPORT, PGDATABASE, PGUSER from the environment$/);
});

test('a .env alone chooses the database, and the target line names the file; --dotenv and PGSHIFT_ENV_FILE pick another file', async () => {
  const project = await makeProject({ 'migrations/001_t.sql': 'CREATE TABLE IF NOT EXISTS via_dotenv (id int);\n', '.env': `DATABASE_URL=${local.url}\n` });
  const run = await project.run(['status']);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(connectedLines(run)[0]?.['source'], `DATABASE_URL from ${project.path('.env')}`);
  await project.write('deploy.env', `DATABASE_URL=${prod.url}\n`);
  for (const options of [{ args: ['--dotenv', 'deploy.env'] }, { args: [], env: { PGSHIFT_ENV_FILE: 'deploy.env' } }]) {
    const other = await project.run(['status', ...options.args], { env: options.env ?? {} });
    assert.equal(other.status, 0, other.stderr);
    assert.equal(connectedLines(other)[0]?.['target'], targetOf(prod.url));
    assert.equal(connectedLines(other)[0]?.['source'], `DATABASE_URL from ${project.path('deploy.env')}`);
  }
});

test('a missing --dotenv or PGSHIFT_ENV_FILE file is exit 2 naming the path; the old --env-file spelling is not an option', async () => {
  const project = await makeProject({});
  assertUsage(await project.run(['status', '--dotenv', '/no/such.env']), /cannot read the --dotenv file \/no\/such\.env: no such file/);
  assertUsage(await project.run(['status'], { env: { PGSHIFT_ENV_FILE: '/no/such.env' } }), /cannot read the PGSHIFT_ENV_FILE file \/no\/such\.env: no such file/);
  // With the file present Node 20 loads it itself and pgshift then sees an unknown option.
  await project.write('x.env', 'PGSHIFT_LOG_LEVEL=info\n');
  const old = await project.run(['status', '--env-file', 'x.env'], { env: { DATABASE_URL: NOWHERE } });
  assert.equal(old.status, 2, old.stderr);
});

test('PGDATABASE without PGHOST selects the libpq variables with libpq defaults, never the embedded server', async () => {
  const project = await makeProject({});
  const run = await project.run(['status'], { env: { PGDATABASE: 'prod_db', PGPORT: '1' } });
  assert.equal(run.status, 5, run.stderr);
  assert.match(String(errorLine(run.stderr)['msg']), new RegExp(`^could not connect to ${userInfo().username}@localhost:1/prod_db`));
  assert.doesNotMatch(run.stderr, /embedded/);
});

test('PGSERVICE is refused with exit 2: pgshift reads no service file', async () => {
  const project = await makeProject({});
  assertUsage(await project.run(['status'], { env: { PGSERVICE: 'prod' } }), /PGSERVICE=prod is set, and pgshift does not read connection service files/);
});

test('a migration error names the database it happened in', async () => {
  const project = await makeProject({ 'migrations/001_bad.sql': 'SELECT no_such_column FROM no_such_table;\n' }, local.url);
  const run = await project.run(['up']);
  assert.equal(run.status, 1, run.stderr);
  assert.equal(errorLine(run.stderr)['target'], targetOf(local.url));
});

test('a bad percent escape in the URL is exit 2 with the password hidden, not a URIError', async () => {
  const project = await makeProject({});
  const fromEnv = await project.run(['status'], { env: { DATABASE_URL: 'postgres://u:s3cr%zzet@127.0.0.1:1/db' } });
  for (const run of [await project.run(['status', '--database', 'postgres://u:%zz@127.0.0.1:1/db']), fromEnv]) {
    assertUsage(run, /the database URL's password has a bad percent escape: postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/db/);
    assert.ok(!run.stderr.includes('%zz') && !run.stderr.includes('s3cr'), run.stderr);
  }
  // A URL that did not come from the command line says where it did.
  assert.ok(String(errorLine(fromEnv.stderr)['msg']).endsWith(' (the URL is DATABASE_URL from the environment)'), fromEnv.stderr);
  // From .env, the file is named.
  await project.write('.env', 'DATABASE_URL=postgres://u@127.0.0.1:1/db?sslmode=bogus\n');
  const fromFile = await project.run(['status']);
  assertUsage(fromFile, /sslmode=bogus in the database URL is not one of .* \(the URL is DATABASE_URL from \S*\/\.env\)/);
});

test('URL parameters: ?dbname= is honoured as psql honours it; one pgshift does not honour is exit 2 naming it', async () => {
  const project = await makeProject({ 'migrations/001_t.sql': 'CREATE TABLE url_param_t (id int);\n' });
  const elsewhere = new URL(local.url);
  elsewhere.pathname = '/no_such_database_here';
  elsewhere.searchParams.set('dbname', named.name);
  const run = await project.run(['up', '--database', elsewhere.toString()]);
  assert.equal(run.status, 0, run.stderr);
  assert.ok(await tableExists(named.sql, 'url_param_t'), 'migrated the database ?dbname= names');
  assert.equal(connectedLines(run)[0]?.['target'], targetOf(named.url));
  for (const name of ['options', 'foo']) {
    const refused = new URL(named.url);
    refused.searchParams.set(name, 'x');
    assertUsage(await project.run(['status', '--database', refused.toString()]), new RegExp(`\\?${name}=, which pgshift does not honour`));
  }
});

test('every numeric flag is checked before connecting, with the text as typed', async () => {
  const project = await makeProject({ 'migrations/001_t.sql': 'SELECT 1;\n' });
  for (const [args, said] of [
    [['up', '--lock-wait', '-5'], /--lock-wait -5 is not a number of seconds/],
    [['up', '--lock-retries', '-1'], /--lock-retries -1 is not a whole number, 0 or more/],
    [['up', '--lock-retries', '1.5'], /--lock-retries 1\.5 is not a whole number/],
    [['up', '--wait', 'soon'], /--wait soon is not a number of seconds/],
    [['status', '--connect-timeout', '0'], /--connect-timeout 0 is not a number of seconds above 0/],
    [['down', '--steps', '0'], /--steps 0 is not a whole number, 1 or more/],
    [['down', '--to', '-1'], /--to -1 is not a version/],
    [['up', '--to', '99999999999999999999'], /--to 99999999999999999999 is too large: the largest is 9007199254740991/],
    [['baseline', '--version', '1e3'], /--version 1e3 is not a version/],
  ] as const) {
    // Against a server that is not there: refused before connecting means exit 2, not 5.
    assertUsage(await project.run([...args, '--database', NOWHERE]), said);
  }
  assertUsage(await project.run(['status'], { env: { DATABASE_URL: NOWHERE, PGSHIFT_WAIT: '-2' } }), /PGSHIFT_WAIT=-2 is not a number of seconds/);
  assertUsage(await project.run(['status'], { env: { DATABASE_URL: NOWHERE, PGCONNECT_TIMEOUT: 'ten' } }), /PGCONNECT_TIMEOUT=ten is not/);
  // From .env, the message names the file, and the code is the environment's (CONFIG_INVALID), not a flag's.
  await project.write('.env', 'PGSHIFT_WAIT=abc\n');
  const fromFile = await project.run(['status'], { env: { DATABASE_URL: NOWHERE } });
  assertUsage(fromFile, /PGSHIFT_WAIT=abc \(from \S*\/\.env\) is not a number of seconds/);
  assert.equal(errorLine(fromFile.stderr)['code'], 'CONFIG_INVALID');
  await project.write('.env', 'PGSHIFT_CACHE=maybe\n');
  assertUsage(await project.run(['status'], { env: { DATABASE_URL: NOWHERE } }), /PGSHIFT_CACHE=maybe \(from \S*\/\.env\) is not on or off/);
  await project.remove('.env');
});

test('--lock-timeout and --statement-timeout need a unit; a bare 0 means no limit', async () => {
  const project = await makeProject({ 'migrations/001_t.sql': 'CREATE TABLE IF NOT EXISTS units (id int);\n' }, local.url);
  const bare = await project.run(['up', '--lock-timeout', '5']);
  assertUsage(bare, /--lock-timeout 5 has no unit/);
  assert.match(String(errorLine(bare.stderr)['hint']), /write 5s for seconds or 5ms for milliseconds/);
  assertUsage(await project.run(['up', '--statement-timeout', '30']), /--statement-timeout 30 has no unit/);
  assertUsage(await project.run(['up', '--lock-timeout', '5sec']), /--lock-timeout 5sec is not a duration/);
  // A negative value: read as the flag's value (and refused naming it), not as the short flags -5 and -s.
  assertUsage(await project.run(['up', '--lock-timeout', '-5s']), /--lock-timeout -5s is not a duration/);
  assertUsage(await project.run(['up', '--statement-timeout', '-1min']), /--statement-timeout -1min is not a duration/);
  assert.equal(await tableExists(local.sql, 'units'), false, 'nothing ran');
  const ok = await project.run(['up', '--lock-timeout', '0', '--statement-timeout', '2min']);
  assert.equal(ok.status, 0, ok.stderr);
});

test('a timeout longer than PostgreSQL allows is refused before connecting (flag) or as a validation problem (directive)', async () => {
  const project = await makeProject({ 'migrations/001_t.sql': 'CREATE TABLE IF NOT EXISTS too_long (id int);\n' }, NOWHERE);
  for (const [flag, value] of [['--statement-timeout', '99999999999999s'], ['--lock-timeout', '3000000s'], ['--lock-timeout', '2147483648ms']] as const) {
    const run = await project.run(['up', flag, value]);
    assertUsage(run, new RegExp(`${flag} ${value} is longer than PostgreSQL allows for a timeout`));
    assert.match(String(errorLine(run.stderr)['hint']), /the longest is 2147483647ms/);
  }
  const db = await testDatabase(import.meta.url);
  await project.write('migrations/001_t.sql', '-- pgshift:lock-timeout=3000000s\nCREATE TABLE too_long (id int);\n');
  for (const command of ['validate', 'up']) {
    const run = await project.run([command, '--database', db.url]);
    assert.equal(run.status, 3, `${command}: ${run.stdout}${run.stderr}`);
    assert.match(run.stdout + run.stderr, /migrations\/001_t\.sql:1:4: pgshift:lock-timeout=3000000s is longer than PostgreSQL allows for a timeout/);
  }
  assert.equal(await tableExists(db.sql, 'too_long'), false, 'nothing ran');
  await project.write('migrations/001_t.sql', '-- pgshift:lock-timeout=2147483647ms\nCREATE TABLE too_long (id int);\n');
  const longest = await project.run(['up', '--database', db.url, '--statement-timeout', '596h']);
  assert.equal(longest.status, 0, longest.stderr);
  assert.equal(await tableExists(db.sql, 'too_long'), true);
});

test('a bare number in a pending file\'s duration directive is exit 3 at file:line; in an applied file it never blocks', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject(
    {
      'migrations/001_old.sql': '-- written for an older pgshift\n-- pgshift:lock-timeout=5000\nCREATE TABLE old_t (id int);\n',
      'migrations/002_new.sql': '-- pgshift:statement-timeout=30\nCREATE TABLE new_t (id int);\n',
    },
    db.url,
  );
  const pending = await project.run(['up']);
  assert.equal(pending.status, 3, pending.stderr);
  const error = errorLine(pending.stderr);
  assert.match(JSON.stringify(error['problems']), /migrations\/001_old\.sql:2:4: pgshift:lock-timeout=5000 has no unit/);
  assert.match(JSON.stringify(error['problems']), /migrations\/002_new\.sql:1:4: pgshift:statement-timeout=30 has no unit/);
  assert.deepEqual(await ledgerVersions(db.sql), []);
  // 001 applied as it was (recorded by baseline here): its directive is history, not a problem.
  assert.equal((await project.run(['baseline', '--version', '1'])).status, 0);
  const validate = await project.run(['validate']);
  assert.equal(validate.status, 3, validate.stdout);
  assert.doesNotMatch(validate.stdout + validate.stderr, /001_old/);
  await project.write('migrations/002_new.sql', '-- pgshift:statement-timeout=30s\nCREATE TABLE new_t (id int);\n');
  const up = await project.run(['up']);
  assert.equal(up.status, 0, up.stderr);
  assert.deepEqual(await ledgerVersions(db.sql), [1, 2]);
});

for (const noTransaction of [false, true]) {
  test(`a terminated backend is noticed at once${noTransaction ? ' (no-transaction file)' : ''}, even while pg_sleep(30) runs`, async () => {
    const db = await testDatabase(import.meta.url);
    const header = noTransaction ? '-- pgshift:no-transaction\n' : '';
    const project = await makeProject({ 'migrations/001_sleep.sql': `${header}SELECT pg_sleep(30);\n` }, db.url);
    const child = spawnPgshift(['up', '--no-lint'], project.dir, cleanEnv({ DATABASE_URL: db.url }));
    const done = finished(child);
    const sleeping = async (): Promise<boolean> =>
      (await db.sql`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'`).length > 0;
    await waitFor(sleeping, 'pg_sleep running');
    await db.sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'`;
    const terminated = performance.now();
    const result = await done;
    const took = performance.now() - terminated;
    assert.equal(result.status, 5, result.stderr);
    const error = errorLine(result.stderr);
    assert.equal(error['code'], 'CONNECTION_LOST');
    assert.match(String(error['msg']), /\(while running migrations\/001_sleep\.sql\)$/, 'the error names the file');
    if (!noTransaction) assert.match(String(error['hint']), /nothing from migrations\/001_sleep\.sql was applied and no ledger row was written/);
    // Before the fix the run ended over 5 s after the termination; the bound leaves room for a loaded machine.
    assert.ok(took < 4000, `exit came ${took} ms after the backend was terminated`);
  });
}
