/** pgshift lint, and the same checks in up and its dry run. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testDatabase } from '../support/database.js';
import { copyOfRepository, logLines, makeProject } from '../support/project.js';

const db = await testDatabase(import.meta.url);
const RISKY = 'CREATE TABLE IF NOT EXISTS big_table (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);\n';
const project = await makeProject(
  {
    'migrations/001_table.sql': `${RISKY}COMMENT ON TABLE big_table IS 'x';\n`,
    'migrations/002_index.sql': 'CREATE INDEX IF NOT EXISTS ix_big ON big_table (id);\n',
  },
  db.url,
);

test("the user's migrations and rollbacks pass lint, with no database needed for named files", async () => {
  const repo = await copyOfRepository();
  const run = await repo.run(['lint', 'migrations/000_create_user_sessions.sql', 'migrations/001_add_session_permissions.sql', 'rollbacks/001_add_session_permissions.sql'], {
    env: { CI: 'true' },
  });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, 'no findings\n');
});

test('lint prints file:line:col rule message and the hint; --strict makes warnings exit 3', async () => {
  const run = await project.run(['lint', 'migrations/002_index.sql']);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^migrations\/002_index\.sql:1:1 index-not-concurrent CREATE INDEX on existing table big_table without CONCURRENTLY\n  hint: .*CONCURRENTLY/);
  assert.equal((await project.run(['lint', '--strict', 'migrations/002_index.sql'])).status, 3);
  const json = await project.run(['lint', '--json', 'migrations/002_index.sql']);
  assert.deepEqual((JSON.parse(json.stdout) as { findings: Array<{ rule: string; line: number }> }).findings.map((f) => [f.rule, f.line]), [['index-not-concurrent', 1]]);
});

test('a file the run would refuse (BEGIN in it, a directive after its first statement) is exit 3 for lint too, named or not', async () => {
  const own = await testDatabase(import.meta.url);
  const refused = await makeProject(
    {
      'migrations/001_t.sql': 'CREATE TABLE IF NOT EXISTS t (id int);\nCOMMENT ON TABLE t IS \'t\';\n',
      'rollbacks/001_t.sql': 'BEGIN;\nDROP TABLE IF EXISTS t;\nCOMMIT;\n',
      'migrations/002_late.sql': 'SET LOCAL search_path = public;\n-- pgshift:lock-timeout=1s\nALTER TABLE t ADD COLUMN IF NOT EXISTS note text;\n',
    },
    own.url,
  );
  const named = await refused.run(['lint', 'migrations/002_late.sql', 'rollbacks/001_t.sql']);
  assert.equal(named.status, 3, named.stderr);
  assert.match(named.stderr, /migrations\/002_late\.sql:2:4: pgshift:lock-timeout=1s comes after the first statement/);
  assert.match(named.stderr, /TRANSACTION_CONTROL/);
  assert.equal(named.stdout, '');
  const all = await refused.run(['lint']);
  assert.equal(all.status, 3, all.stderr);
  assert.match(all.stderr, /002_late\.sql:2:4/);
  // The migration fixed, the rollback alone still stops it.
  await refused.write('migrations/002_late.sql', '-- pgshift:lock-timeout=1s\nALTER TABLE t ADD COLUMN IF NOT EXISTS note text;\n');
  const rollbackOnly = await refused.run(['lint']);
  assert.equal(rollbackOnly.status, 3, rollbackOnly.stderr);
  assert.match(rollbackOnly.stderr, /rollbacks\/001_t\.sql:1:1: BEGIN would take the transaction out of pgshift's hands/);
});

test('up --dry-run shows the findings on stderr, the SQL on stdout', async () => {
  const run = await project.run(['up', '--dry-run']);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /CREATE INDEX IF NOT EXISTS ix_big/);
  const warnings = logLines(run.stderr).filter((line) => line['level'] === 40).map((line) => String(line['msg']));
  assert.deepEqual(warnings, ['migrations/002_index.sql:1:1 index-not-concurrent CREATE INDEX on existing table big_table without CONCURRENTLY']);
});

test('up --no-lint skips the pass (for bulk loads)', async () => {
  const run = await project.run(['up', '--dry-run', '--no-lint']);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(logLines(run.stderr).filter((line) => line['level'] === 40), []);
});

test('up --strict refuses to run with findings, and nothing is applied', async () => {
  const run = await project.run(['up', '--strict']);
  assert.equal(run.status, 3, run.stderr);
  assert.match(run.stderr, /lint: 1 finding\(s\) with --strict; nothing was run/);
  const [{ table }] = await db.sql<[{ table: string | null }]>`SELECT to_regclass('big_table')::text AS table`;
  assert.equal(table, null);
});

test('package.json can turn a rule off or into an error; an unknown rule there is refused', async () => {
  await project.write('package.json', JSON.stringify({ pgshift: { lint: { rules: { 'index-not-concurrent': 'error' } } } }));
  const failing = await project.run(['up']);
  assert.equal(failing.status, 3);
  assert.match(failing.stderr, /set to \\"error\\"/);
  await project.write('package.json', JSON.stringify({ pgshift: { lint: { rules: { 'index-not-concurrent': 'off' } } } }));
  const quiet = await project.run(['lint', 'migrations/002_index.sql']);
  assert.equal(quiet.stdout, 'no findings\n');
  await project.write('package.json', JSON.stringify({ pgshift: { lint: { rules: { 'no-such-rule': 'off' } } } }));
  const unknown = await project.run(['lint', 'migrations/002_index.sql']);
  assert.equal(unknown.status, 3);
  assert.match(unknown.stderr, /unknown rule \\"no-such-rule\\"/);
  await project.remove('package.json');
});

test('default lint covers pending migrations and rollbacks, reading the ledger', async () => {
  assert.equal((await project.run(['up', '--to', '1'])).status, 0);
  await project.write('rollbacks/001_table.sql', 'DROP TABLE big_table;\n');
  const run = await project.run(['lint', '--json']);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(
    (JSON.parse(run.stdout) as { findings: Array<{ file: string; rule: string }> }).findings.map((f) => [f.file, f.rule]).sort(),
    [
      ['migrations/002_index.sql', 'index-not-concurrent'],
      ['rollbacks/001_table.sql', 'drop-if-exists'],
    ],
  );
});
