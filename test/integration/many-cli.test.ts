/**
 * Many databases from the outside, as a stranger meets them: the built CLI's --targets files, repeated
 * --database, the flags it refuses, what status, validate, drift and down print per target, the exit
 * statuses, the password never shown. The live line and the API: many-live-api.test.ts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { serverUrl, testDatabase, urlFor, type TestDatabase } from '../support/database.js';
import { ledgerVersions, tableExists } from '../support/inspect.js';
import { NOWHERE, noLedgers, targetsFile, targetsOf } from '../support/many.js';
import { logLines, makeProject, type CliResult } from '../support/project.js';

const FILES = {
  'migrations/001_accounts.sql': 'CREATE TABLE accounts (id int PRIMARY KEY);\n',
  'rollbacks/001_accounts.sql': 'DROP TABLE accounts;\n',
  'migrations/002_orders.sql': 'CREATE TABLE orders (id int PRIMARY KEY);\n',
  'rollbacks/002_orders.sql': 'DROP TABLE orders;\n',
};

const created = await Promise.all(Array.from({ length: 10 }, () => testDatabase(import.meta.url)));
const take = (count: number): TestDatabase[] => created.splice(0, count);
const [p1, p2] = take(2) as [TestDatabase, TestDatabase];
const [r1, r2] = take(2) as [TestDatabase, TestDatabase];
const [d1, d2] = take(2) as [TestDatabase, TestDatabase];
const [s1, s2, s3] = take(3) as [TestDatabase, TestDatabase, TestDatabase];
const [f1] = take(1) as [TestDatabase];
const project = await makeProject(FILES);

/** A login role whose password holds @ / : and %, free to create tables in `db`; gone after the test. */
async function roleIn(db: TestDatabase, password: string): Promise<string> {
  const role = `pgshift_many_cli_${randomBytes(4).toString('hex')}`;
  await db.sql.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
  await db.sql.unsafe(`GRANT CREATE ON SCHEMA public TO ${role}`);
  after(async () => {
    await db.sql.unsafe(`DROP OWNED BY ${role}`);
    await db.sql.unsafe(`DROP ROLE ${role}`);
  });
  return role;
}

test('a targets file: comments, blanks, CRLF, name=URL and bare URL; a ${VAR} password holding @ / : works and is never printed', async () => {
  const password = 'Zx7q@/:%Jk3w';
  const role = await roleIn(p1, password);
  const server = new URL(serverUrl());
  const file = await targetsFile(
    project,
    'pw-targets.txt',
    [
      '# tenants',
      '',
      '   # an indented comment',
      `owned=postgres://${role}:\${PW}@${server.host}/${p1.name}   # password from the environment`,
      `\t${urlFor(p2.name)}`,
      'broken=postgres://u:${PW}@127.0.0.1:1/x',
      '',
    ].join('\r\n'),
  );
  const runs = [
    await project.run(['up', '--targets', file, '--log-level', 'debug'], { env: { PW: password } }),
    await project.run(['status', '--targets', file, '--json', '--log-level', 'debug'], { env: { PW: password } }),
  ];
  const bare = `${server.hostname}:${server.port || '5432'}/${p2.name}`;
  assert.equal(runs[0]?.status, 6, runs[0]?.stderr);
  assert.match(runs[0]?.stdout ?? '', new RegExp(`^owned +none → 2 +2 .* ok\n${bare.replace(/\./g, '\\.')} +none → 2 +2 .* ok\nbroken +- +0 .* failed CONNECTION_FAILED \\(exit 5\\)`, 'm'));
  assert.match(runs[0]?.stdout ?? '', /^3 targets: 2 ok, 1 failed$/m);
  assert.deepEqual(await ledgerVersions(p1.sql), [1, 2]);
  assert.deepEqual(await ledgerVersions(p2.sql), [1, 2]);
  assert.equal(runs[1]?.status, 6);
  assert.deepEqual(
    targetsOf(runs[1] as CliResult).map((t) => [t.name, t.outcome, t.exitStatus]),
    [['owned', 'ok', 0], [bare, 'ok', 0], ['broken', 'failed', 5]],
  );
  for (const run of runs) {
    for (const piece of [password, encodeURIComponent(password), 'Zx7q', 'Jk3w']) {
      assert.ok(!run.stdout.includes(piece) && !run.stderr.includes(piece), `the password (${piece}) was printed:\n${run.stdout}\n${run.stderr}`);
    }
  }
});

test('repeated --database runs each database', async () => {
  const run = await project.run(['up', '--database', d1.url, '--database', d2.url]);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^2 targets: 2 ok, 0 failed$/m);
  assert.deepEqual(await ledgerVersions(d1.sql), [1, 2]);
  assert.deepEqual(await ledgerVersions(d2.sql), [1, 2]);
});

test('flags a run cannot honour are refused with exit 2 before anything connects', async () => {
  const file = await targetsFile(project, 'refused.txt', `a=${r1.url}\nb=${r2.url}\n`);
  const cases: Array<[string[], RegExp]> = [
    ...(['--parallel', '--canary'] as const).map((flag): [string[], RegExp] => [['up', '--database', r1.url, flag, '2'], new RegExp(`${flag} goes with several targets`)]),
    [['up', '--database', r1.url, '--fail-fast'], /--fail-fast goes with several targets/],
    ...[['redo'], ['verify'], ['baseline', '1'], ['trace'], ['lint'], ['new', 'x'], ['repair']].map((command): [string[], RegExp] => [
      [...command, '--targets', file],
      new RegExp(`--targets is for up, down, status, validate, drift, not ${command[0] as string}`),
    ]),
    [['verify', '--database', r1.url, '--database', r2.url], /--database is given more than once/],
    [['up', '--dry-run', '--targets', file], /--dry-run shows the SQL for one database/],
    [['drift', '--sql', '--targets', file], /--sql prints the statements for one database/],
    [['up', '--targets', file, '--database', r1.url], /--targets and --database are given together/],
    [['status', '--targets', file, '--targets-query', 'SELECT 1'], /give --targets or --targets-query, not both/],
    [['up', '--targets', file, '--parallel', '0'], /--parallel 0 is not a whole number, 1 or more/],
    [['up', '--targets', file, '--parallel', 'x'], /--parallel x is not a whole number/],
    [['up', '--targets', file, '--canary', '-1'], /--canary -1 is not a whole number/],
  ];
  for (let start = 0; start < cases.length; start += 4) {
    const batch = cases.slice(start, start + 4);
    const runs = await Promise.all(batch.map(([args]) => project.run(args)));
    runs.forEach((run, index) => {
      const [args, message] = batch[index] as [string[], RegExp];
      assert.equal(run.status, 2, `${args.join(' ')}:\n${run.stderr}`);
      assert.match(run.stderr, message, args.join(' '));
    });
  }
  await noLedgers(r1, r2);
});

test('--fail-fast --parallel 1: after the first failure the others are not started, exit 6', async () => {
  const file = await targetsFile(project, 'fail-fast.txt', `nowhere=${NOWHERE}\nr1=${r1.url}\nr2=${r2.url}\n`);
  const run = await project.run(['up', '--targets', file, '--fail-fast', '--parallel', '1', '--json']);
  assert.equal(run.status, 6, run.stderr);
  assert.deepEqual(targetsOf(run).map((t) => [t.name, t.outcome, t.exitStatus, t.skippedBecause]), [
    ['nowhere', 'failed', 5, undefined],
    ['r1', 'skipped', null, 'fail-fast'],
    ['r2', 'skipped', null, 'fail-fast'],
  ]);
  const text = await project.run(['up', '--targets', file, '--fail-fast', '--parallel', '1']);
  assert.equal(text.status, 6);
  assert.match(text.stdout, /^r1 +- +- +0\.00 s +not started: --fail-fast$/m);
  assert.match(text.stdout, /^3 targets: 0 ok, 1 failed, 2 not started \(--fail-fast\)$/m);
  await noLedgers(r1, r2);
});

test('a bad targets file is exit 2 with nothing run: missing, empty, duplicate names or databases, a non-URL line, a bad escape, ${VAR} unset or empty', async () => {
  const path = r2.url.replace(/\/[^/]*$/, '/${DB_B}');
  const files: Array<[string, string, RegExp, Record<string, string>?]> = [
    ['comments.txt', '# nothing yet\n\n   # still nothing\n', /comments\.txt names no target/],
    ['dupes.txt', `a=${r1.url}\n\nb=${r2.url}\na=${r2.url}\n`, /dupes\.txt:1 and dupes\.txt:4 are both the target a/],
    ['same-db.txt', `x=${r1.url}\ny=${r1.url}\n`, /same-db\.txt:1 and same-db\.txt:2 are both the database/],
    ['not-url.txt', `a=${r1.url}\nhost=db password=hunter2\n`, /not-url\.txt:2: not a target/],
    ['escape.txt', `b=${r2.url}\na=postgres://u:hunter%zz@127.0.0.1:5432/x\n`, /escape\.txt:2: .*bad percent escape/],
    ['vars.txt', `a=${r1.url}\nb=${path}\n`, /vars\.txt:2: \$\{DB_B\} is not set/],
    ['vars.txt', `a=${r1.url}\nb=${path}\n`, /vars\.txt:2: \$\{DB_B\} is set but empty/, { DB_B: '' }],
  ];
  const runs = await Promise.all([
    project.run(['up', '--targets', 'no-such-targets.txt']),
    ...files.map(async ([name, text, , env]) => project.run(['up', '--targets', await targetsFile(project, name, text)], { env: env ?? {} })),
  ]);
  const expected = [/cannot read the --targets file no-such-targets\.txt: no such file/, ...files.map(([, , message]) => message)];
  // hunter2 and hunter%zz stand for passwords: never echoed.
  runs.forEach((run, index) => {
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, expected[index] as RegExp);
    assert.doesNotMatch(run.stderr, /hunter/);
    assert.equal(run.stdout, '');
  });
  await noLedgers(r1, r2);
  // The same file with the variable set (here in a --dotenv file) runs both.
  await project.write('vars.env', `DB_B=${r2.name}\n`);
  const set = await project.run(['up', '--targets', 'vars.txt', '--dotenv', 'vars.env']);
  assert.equal(set.status, 0, set.stderr);
  assert.deepEqual(await ledgerVersions(r2.sql), [1, 2]);
});

test('status, validate and drift over several targets: a row each, --json per target; a changed applied file fails only its target', async () => {
  const checked = await makeProject({ 'migrations/001_accounts.sql': FILES['migrations/001_accounts.sql'] });
  // s1 applies the file as it was; then it changes, and s2 and s3 apply it as it is now.
  assert.equal((await checked.run(['up', '--database', s1.url])).status, 0);
  await checked.write('migrations/001_accounts.sql', 'CREATE TABLE accounts (id bigint PRIMARY KEY);\n');
  await checked.write('migrations/002_pending.sql', 'CREATE TABLE pending (id int);\n');
  assert.equal((await checked.run(['up', '--database', s2.url, '--database', s3.url, '--to', '1'])).status, 0);
  const all = await targetsFile(checked, 'all.txt', `s1=${s1.url}\ns2=${s2.url}\ns3=${s3.url}\n`);
  const clean = await targetsFile(checked, 'clean.txt', `s2=${s2.url}\ns3=${s3.url}\n`);

  const status = await checked.run(['status', '--targets', all]);
  assert.equal(status.status, 0, status.stderr);
  const lines = status.stdout.split('\n');
  assert.match(lines[0] ?? '', /^target +version +pending +time +result$/);
  assert.match(lines[1] ?? '', /^s1 +1 +1 +\d+\.\d\d s +ok \(1 changed\)$/);
  for (const [index, name] of ['s2', 's3'].entries()) assert.match(lines[index + 2] ?? '', new RegExp(`^${name} +1 +1 +\\d+\\.\\d\\d s +ok$`));
  assert.equal(lines[4], '3 targets: 3 ok, 0 failed');
  const statusJson = targetsOf(await checked.run(['status', '--targets', all, '--json']));
  assert.deepEqual(
    statusJson.map((t) => [t.name, t.outcome, t.exitStatus, t.status?.entries.map((entry) => `${entry.version}:${entry.state}`)]),
    [['s1', 'ok', 0, ['1:changed', '2:pending']], ['s2', 'ok', 0, ['1:applied', '2:pending']], ['s3', 'ok', 0, ['1:applied', '2:pending']]],
  );
  assert.deepEqual(statusJson.slice(1).map((t) => [t.before, t.after]), [[1, 1], [1, 1]]);

  const validate = await checked.run(['validate', '--targets', all]);
  assert.equal(validate.status, 6, validate.stderr);
  assert.match(validate.stdout, /^s1 +.*failed VALIDATION_FAILED \(exit 3\)/m);
  assert.match(validate.stdout, /^s2 +- +0 +.* ok$/m);
  assert.match(validate.stdout, /^3 targets: 2 ok, 1 failed$/m);
  // The problems themselves are listed under the table: no need to run validate again on s1 alone.
  assert.match(validate.stdout, /^s1: 1 problem found in migrations and ledger\n  .*migrations\/001_accounts\.sql.*\n    hint: /m);
  assert.doesNotMatch(validate.stdout, /on this target alone/);
  const validateJson = targetsOf(await checked.run(['validate', '--targets', all, '--json']));
  assert.deepEqual(validateJson.map((t) => [t.name, t.outcome, t.exitStatus, t.error?.code, t.problems?.map((p) => p.code)]), [
    ['s1', 'failed', 3, 'VALIDATION_FAILED', ['CHECKSUM_MISMATCH']],
    ['s2', 'ok', 0, undefined, []],
    ['s3', 'ok', 0, undefined, []],
  ]);

  const drift = await checked.run(['drift', '--targets', clean, '--json']);
  assert.equal(drift.status, 0, drift.stderr);
  assert.deepEqual(targetsOf(drift).map((t) => [t.name, t.outcome, t.exitStatus, t.drift?.drift]), [['s2', 'ok', 0, false], ['s3', 'ok', 0, false]]);
});

test('status shows the applied version of a target whose applied file changed', async () => {
  const checked = await makeProject({ 'migrations/001_accounts.sql': 'CREATE TABLE accounts (id bigint PRIMARY KEY);\n' });
  const file = await targetsFile(checked, 'both.txt', `s1=${s1.url}\ns2=${s2.url}\n`);
  const json = targetsOf(await checked.run(['status', '--targets', file, '--json']));
  assert.deepEqual(json.map((t) => [t.name, t.before, t.after]), [['s1', 1, 1], ['s2', 1, 1]]);
  assert.match((await checked.run(['status', '--targets', file])).stdout, /^s1 +1 +0 /m);
});

test('down --targets reverts one version on each, before → after in the JSON', async () => {
  const file = await targetsFile(project, 'down.txt', `${d1.url}\n${d2.url}\n`);
  const run = await project.run(['down', '--targets', file, '--json']);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(
    targetsOf(run).map((t) => [t.outcome, t.before, t.after, t.migrations.map((m) => `${m.direction} ${m.version}`)]),
    [['ok', 2, 1, ['down 2']], ['ok', 2, 1, ['down 2']]],
  );
  for (const db of [d1, d2]) {
    assert.deepEqual(await ledgerVersions(db.sql), [1]);
    assert.equal(await tableExists(db.sql, 'orders'), false);
  }
});

test('a password command is run per connection with the target in PGSHIFT_TARGET', async () => {
  const file = await targetsFile(project, 'pwcmd.txt', `first=${d1.url}\nsecond=${d2.url}\n`);
  // The embedded test server checks passwords: hand the command the real one when there is one.
  const password = decodeURIComponent(new URL(serverUrl()).password) || 'anything';
  const command = `printf "%s\\n" "$PGSHIFT_TARGET" >> ${join(project.dir, 'asked.log')}; printf "%s\\n" "$TEST_PW"`;
  const run = await project.run(['status', '--targets', file, '--password-command', command], { env: { TEST_PW: password } });
  assert.equal(run.status, 0, run.stderr);
  const asked = (await project.read('asked.log')).trim().split('\n').sort();
  const connected = logLines(run.stderr).filter((line) => String(line['msg']).includes('connected to ')).map((line) => String(line['targetName'])).sort();
  assert.deepEqual(asked, ['first', 'second']);
  assert.deepEqual(asked, connected);
});

test("a single target in a targets file exits with its own status, not 6", async () => {
  const failing = await makeProject({ ...FILES, 'migrations/002_orders.sql': 'SELECT 1/0;\n' });
  const unreachable = await failing.run(['up', '--targets', await targetsFile(failing, 'nowhere.txt', `nowhere=${NOWHERE}\n`)]);
  assert.equal(unreachable.status, 5, unreachable.stderr);
  assert.match(unreachable.stdout, /^1 target: 0 ok, 1 failed$/m);
  const broken = await failing.run(['up', '--targets', await targetsFile(failing, 'one.txt', `one=${f1.url}\n`), '--json']);
  assert.equal(broken.status, 1, broken.stderr);
  assert.deepEqual(targetsOf(broken).map((t) => [t.outcome, t.exitStatus, t.error?.code, t.before, t.after]), [['failed', 1, 'MIGRATION_FAILED', null, 1]]);
  assert.deepEqual(await ledgerVersions(f1.sql), [1]);
});
