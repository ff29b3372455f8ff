/** verify: each rollback must undo its migration exactly; nothing changes while it checks. */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import postgres from 'postgres';
import { serverUrl, testDatabase, urlFor } from '../support/database.js';
import { copyOfRepository, makeProject } from '../support/project.js';

const db = await testDatabase(import.meta.url);
const project = await copyOfRepository(db.url);
const ROLLBACK = 'rollbacks/001_add_session_permissions.sql';
const original = await project.read(ROLLBACK);

interface Result {
  readonly path: string;
  readonly outcome: string;
  readonly problems: string[];
}

async function verify(...args: string[]): Promise<{ status: number; results: Result[]; stdout: string }> {
  const run = await project.run(['verify', '--json', ...args]);
  assert.ok(run.stdout.startsWith('['), run.stderr);
  return { status: run.status, results: JSON.parse(run.stdout) as Result[], stdout: run.stdout };
}

async function objectCount(): Promise<number> {
  const [{ count }] = await db.sql<[{ count: number }]>`SELECT count(*)::int AS count FROM pg_class WHERE relnamespace = 'public'::regnamespace`;
  return count;
}

// Every test of the project below starts from this state, and leaves it as it found it.
before(async () => {
  // 000 applied, 001 pending.
  assert.equal((await project.run(['up', '--to', '0'])).status, 0);
});

test("verify passes on the user's 001 and changes nothing", async () => {
  const before = await objectCount();
  const { status, results } = await verify();
  assert.equal(status, 0);
  assert.deepEqual(results.map((r) => [r.path, r.outcome, r.problems]), [['migrations/001_add_session_permissions.sql', 'pass', []]]);
  assert.equal(await objectCount(), before);
  const text = await project.run(['verify']);
  assert.equal(text.stdout, 'PASS  migrations/001_add_session_permissions.sql\n');
});

const broken: Array<[string, (text: string) => string, RegExp]> = [
  ['forgets a column', (t) => t.replace('ALTER TABLE user_sessions DROP COLUMN IF EXISTS visibility;\n', ''), /^column public\.user_sessions\.visibility still exists after rollback$/],
  ['forgets an index', (t) => `${t}CREATE INDEX ix_left_behind ON user_sessions (title);\n`, /^index public\.ix_left_behind still exists after rollback$/],
  ['forgets a comment', (t) => `${t}COMMENT ON TABLE user_sessions IS 'changed';\n`, /^comment on table public\.user_sessions differs after rollback: expected "User sessions of the application", found "changed"$/],
  ['forgets a constraint', (t) => `${t}ALTER TABLE user_sessions ADD CONSTRAINT ck_title CHECK (title <> '');\n`, /^constraint public\.user_sessions\.ck_title still exists after rollback$/],
  ['drops too much', (t) => `${t}DROP INDEX ix_user_sessions_user_id;\n`, /^index public\.ix_user_sessions_user_id is missing after rollback \(the rollback removes too much\)$/],
];

for (const [what, edit, expected] of broken) {
  test(`verify fails with exit 3 for a rollback that ${what}`, async () => {
    await project.write(ROLLBACK, edit(original));
    try {
      const { status, results } = await verify();
      assert.equal(status, 3);
      assert.equal(results[0]?.outcome, 'fail');
      assert.ok(results[0]?.problems.some((problem) => expected.test(problem)), JSON.stringify(results[0]?.problems));
    } finally {
      await project.write(ROLLBACK, original);
    }
  });
}

test('a rollback that down would refuse (a directive after its first statement) is refused, exit 3, before anything runs', async () => {
  await project.write(ROLLBACK, `${original}-- pgshift:lock-timeout=1s\nSELECT 1;\n`);
  try {
    const before = await objectCount();
    const run = await project.run(['verify']);
    assert.equal(run.status, 3, run.stderr);
    assert.match(run.stderr, /rollbacks\/001_add_session_permissions\.sql:\d+:4: pgshift:lock-timeout=1s comes after the first statement/);
    assert.equal(run.stdout, '');
    assert.equal(await objectCount(), before);
  } finally {
    await project.write(ROLLBACK, original);
  }
});

test('a rollback that fails is reported as the failure, with its line', async () => {
  await project.write(ROLLBACK, `${original}SELECT * FROM\n  nowhere;\n`);
  try {
    const { status, results } = await verify();
    assert.equal(status, 3);
    assert.match(results[0]?.problems[0] ?? '', /^the rollback failed: rollbacks\/001_add_session_permissions\.sql:6:3: relation "nowhere" does not exist$/);
  } finally {
    await project.write(ROLLBACK, original);
  }
});

test('a rollback that fails is reported, and the migrations after it are still verified, in a transaction and in a scratch database', async () => {
  await project.write(ROLLBACK, `${original}SELECT * FROM nowhere;\n`);
  await project.write('migrations/002_table.sql', 'CREATE TABLE after_broken (id int);\n');
  await project.write('rollbacks/002_table.sql', 'DROP TABLE after_broken;\n');
  try {
    for (const args of [[], ['--all']]) {
      const { status, results } = await verify(...args);
      assert.equal(status, 3, `verify ${args.join(' ')}`);
      const outcomes = results.map((r) => [r.path, r.outcome]).filter(([path]) => path !== 'migrations/000_create_user_sessions.sql');
      assert.deepEqual(outcomes, [
        ['migrations/001_add_session_permissions.sql', 'fail'],
        ['migrations/002_table.sql', 'pass'],
      ], `verify ${args.join(' ')}`);
      assert.match(results.find((r) => r.path.includes('001'))?.problems[0] ?? '', /^the rollback failed: .*relation "nowhere" does not exist$/);
    }
    const [{ table }] = await db.sql<[{ table: string | null }]>`SELECT to_regclass('after_broken')::text AS table`;
    assert.equal(table, null, 'the live database is untouched');
  } finally {
    await project.write(ROLLBACK, original);
    await project.remove('migrations/002_table.sql');
    await project.remove('rollbacks/002_table.sql');
  }
});

test('verify --all checks every migration in a scratch database, which is dropped', async () => {
  const run = await project.run(['verify', '--json', '--all']);
  const { status } = run;
  const results = JSON.parse(run.stdout) as Result[];
  assert.equal(status, 0);
  assert.deepEqual(
    results.map((r) => [r.path, r.outcome]),
    [
      ['migrations/000_create_user_sessions.sql', 'no rollback'],
      ['migrations/001_add_session_permissions.sql', 'pass'],
    ],
  );
  // Other test files build scratch databases on this server too: what counts is that this run's is gone.
  const scratch = /scratch database (pgshift_scratch_\w+) created/.exec(run.stderr)?.[1];
  assert.ok(scratch, run.stderr);
  const [{ n: left }] = await db.sql<[{ n: number }]>`SELECT count(*)::int AS n FROM pg_database WHERE datname = ${scratch}`;
  assert.equal(left, 0);
});

test('a scratch database left by a killed run is dropped by the next run once it is an hour old; a recent one is left alone', async () => {
  const now = Math.floor(Date.now() / 1000);
  // Named like this process's own, but not by its run: pid 1 never runs pgshift here.
  const abandoned = `pgshift_scratch_1_${now - 3700}_dead`;
  const recent = `pgshift_scratch_1_${now - 60}_beef`;
  for (const name of [abandoned, recent]) await db.sql.unsafe(`CREATE DATABASE ${name}`);
  try {
    const run = await project.run(['verify', '--all']);
    assert.equal(run.status, 0, run.stderr);
    // Another test file's verify on this server may have dropped it first: what counts is that it is gone.
    const left = await db.sql<Array<{ datname: string }>>`SELECT datname FROM pg_database WHERE datname IN (${abandoned}, ${recent})`;
    assert.deepEqual(left.map((row) => row.datname), [recent]);
  } finally {
    for (const name of [abandoned, recent]) await db.sql.unsafe(`DROP DATABASE IF EXISTS ${name}`);
  }
});

test('a no-transaction migration is verified in a scratch database', async () => {
  await project.write('migrations/002_index.sql', '-- pgshift:no-transaction\nCREATE INDEX CONCURRENTLY ix_sessions_title ON user_sessions (title);\n');
  await project.write('rollbacks/002_index.sql', '-- pgshift:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS ix_sessions_title;\n');
  try {
    const run = await project.run(['verify']);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /scratch database pgshift_scratch_\d+_\d+_[0-9a-f]+ created/);
    assert.equal(run.stdout, 'PASS  migrations/001_add_session_permissions.sql\nPASS  migrations/002_index.sql\n');
    const [{ index }] = await db.sql<[{ index: string | null }]>`SELECT to_regclass('ix_sessions_title')::text AS index`;
    assert.equal(index, null, 'the live database is untouched');
  } finally {
    await project.remove('migrations/002_index.sql');
    await project.remove('rollbacks/002_index.sql');
  }
});

// Roles are cluster-wide: named after this process so that parallel runs on one server never share one.
const role = `pgshift_verify_${process.pid}`;
const roleDatabase = `${db.name}_role`;

const admin = postgres(serverUrl(), { onnotice: () => undefined, max: 1 });
await admin.unsafe(`CREATE ROLE ${role} NOLOGIN`);
await admin.unsafe(`CREATE DATABASE ${roleDatabase}`);
after(async () => {
  await admin.unsafe(`DROP DATABASE IF EXISTS ${roleDatabase} WITH (FORCE)`);
  await admin.unsafe(`DROP ROLE IF EXISTS ${role}`);
  await admin.end({ timeout: 5 });
});

for (const switchRole of [`SET ROLE ${role};`, `SET SESSION AUTHORIZATION ${role};`]) {
  test(`verify resets the session after each file, as up does: a later file does not run under "${switchRole}"`, async () => {
    const switching = await makeProject(
      {
        'migrations/001_switch.sql': `${switchRole}\n`,
        'rollbacks/001_switch.sql': 'SELECT 1;\n',
        'migrations/002_table.sql': 'CREATE TABLE made_by_002 (id int);\n',
        'rollbacks/002_table.sql': 'DROP TABLE made_by_002;\n',
      },
      urlFor(roleDatabase),
    );
    const passed = 'PASS  migrations/001_switch.sql\nPASS  migrations/002_table.sql\n';
    for (const args of [[], ['--scratch'], ['--all']]) {
      const run = await switching.run(['verify', ...args]);
      assert.equal(run.status, 0, `verify ${args.join(' ')}: ${run.stdout}${run.stderr}`);
      assert.equal(run.stdout, passed, `verify ${args.join(' ')}`);
    }
    const up = await switching.run(['up']);
    assert.equal(up.status, 0, up.stderr);
    const down = await switching.run(['down', '--all']);
    assert.equal(down.status, 0, down.stderr);
  });
}

test("a history that changes the whole server (a role) is never replayed in a scratch database on the target's server", async () => {
  const wide = `${db.name}_wide`;
  const newRole = `pgshift_wide_${process.pid}`;
  await admin.unsafe(`CREATE DATABASE ${wide}`);
  try {
    const project = await makeProject(
      {
        'migrations/001_role.sql': `CREATE TABLE t (id int);\nCREATE ROLE ${newRole} NOLOGIN;\n`,
        'rollbacks/001_role.sql': `DROP ROLE ${newRole};\nDROP TABLE t;\n`,
      },
      urlFor(wide),
    );
    const refused = await project.run(['verify', '--all']);
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /verify would run migrations\/001_role\.sql:2 \(CREATE ROLE\) in a scratch database on the target's server/);
    assert.doesNotMatch(refused.stderr, /scratch database pgshift_scratch_\S+ created/);
    assert.match(refused.stderr, /--scratch embedded .*--scratch-database URL/);
    // A fresh embedded server of its own may take the role: it is thrown away with the server.
    const embedded = await project.run(['verify', '--all', '--scratch', 'embedded', '--json']);
    assert.equal(embedded.status, 0, embedded.stderr);
    assert.deepEqual((JSON.parse(embedded.stdout) as Result[]).map((result) => [result.path, result.outcome]), [['migrations/001_role.sql', 'pass']]);
    assert.deepEqual(await readdir(project.path('.pgshift')), [], 'the scratch server and its folder are gone');
    // In verify's own transaction the role is rolled back with everything else: that check may run.
    const inTransaction = await project.run(['verify']);
    assert.equal(inTransaction.status, 0, inTransaction.stderr);
    const [{ n }] = await admin<[{ n: number }]>`SELECT count(*)::int AS n FROM pg_roles WHERE rolname = ${newRole}`;
    assert.equal(n, 0, 'the role was not left on the server');
  } finally {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${wide} WITH (FORCE)`);
    await admin.unsafe(`DROP ROLE IF EXISTS ${newRole}`);
  }
});

test('a rollback that leaves a table behind, so the migration cannot be applied again: both are reported, the cause first', async () => {
  const own = await testDatabase(import.meta.url);
  const project = await makeProject(
    {
      'migrations/001_c.sql': 'CREATE TABLE c (id int);\nCREATE INDEX ix_c ON c (id);\n',
      'rollbacks/001_c.sql': 'DROP INDEX ix_c;\n',
    },
    own.url,
  );
  const run = await project.run(['verify', '--json']);
  assert.equal(run.status, 3, run.stderr);
  const [result] = JSON.parse(run.stdout) as Result[];
  assert.equal(result?.outcome, 'fail');
  assert.equal(result?.problems[0], 'table public.c still exists after rollback');
  assert.match(result?.problems[1] ?? '', /^the migration failed when applied again after its rollback: .*relation "c" already exists/);
});
