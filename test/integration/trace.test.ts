/**
 * `pgshift trace` from the outside: findings weighed by the target's table sizes, --strict, suppressions,
 * the project's own migrations, and the same trace through `up --dry-run --trace` and `verify --locks`.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { test } from 'node:test';
import { silentLogger } from '../../src/core/logger.js';
import type { TraceReport } from '../../src/core/trace-types.js';
import { createMigrator, isPgshiftError } from '../../src/index.js';
import { testDatabase } from '../support/database.js';
import { copyOfRepository, makeProject, type CliResult, type Project } from '../support/project.js';

const TABLES = {
  'migrations/001_tables.sql':
    'CREATE TABLE big (id int PRIMARY KEY, payload text NOT NULL);\nCREATE TABLE small (id int PRIMARY KEY, label text);\n',
};

/** A target with TABLES applied, `big` holding about 2 MB and `small` a few rows, both analyzed. */
async function weighedTarget(pending: Readonly<Record<string, string>>) {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject(TABLES, db.url);
  const up = await project.run(['up']);
  assert.equal(up.status, 0, up.stderr);
  await db.sql.unsafe("INSERT INTO big SELECT g, repeat('x', 60) FROM generate_series(1, 20000) g; INSERT INTO small VALUES (1, 'a'), (2, 'b'); ANALYZE big; ANALYZE small");
  for (const [path, text] of Object.entries(pending)) await project.write(path, text);
  return { db, project };
}

async function traceJson(project: Project, args: readonly string[] = []): Promise<{ run: CliResult; report: TraceReport }> {
  const run = await project.run(['trace', '--json', ...args]);
  assert.ok(run.status === 0 || run.status === 3, `exit ${run.status}: ${run.stderr}`);
  return { run, report: JSON.parse(run.stdout) as TraceReport };
}

test('a lock that blocks writes on a table bigger than --big is a finding with the target\'s size; on a smaller one it is not', async () => {
  const { project } = await weighedTarget({
    'migrations/002_notes.sql': 'ALTER TABLE big ADD COLUMN note text;\nALTER TABLE small ADD COLUMN note text;\nSELECT 1;\nSELECT 2;\n',
  });
  const { run, report } = await traceJson(project, ['--big', '1MB']);
  assert.equal(run.status, 0, 'findings alone do not fail the run');
  assert.equal(report.weighed, true);
  assert.equal(report.big, 1024 * 1024);
  assert.deepEqual(report.findings.map((finding) => [finding.rule, finding.relation, finding.statement]), [['lock-blocks-writes', 'public.big', 1]]);
  const [finding] = report.findings;
  assert.match(finding?.message ?? '', /^ACCESS EXCLUSIVE on public\.big \(\d(\.\d)? MB, ~20 k rows\) held from statement 1 to commit \(4 statements\)/);
  assert.equal(finding?.file, 'migrations/002_notes.sql');
  const holds = report.files[0]?.holds ?? [];
  const small = holds.find((hold) => hold.relation.name === 'small');
  assert.equal(small?.mode, 'AccessExclusiveLock');
  assert.ok(small?.size !== undefined && small.size !== 'absent' && small.size.bytes < 1024 * 1024 && small.size.rows === 2, JSON.stringify(small));
});

test('the lock statement 1 takes is still held at statement 4, until commit', async () => {
  const { project } = await weighedTarget({ 'migrations/002_notes.sql': 'ALTER TABLE big ADD COLUMN note text;\nSELECT 1;\nSELECT 2;\nSELECT 3;\n' });
  const { report } = await traceJson(project);
  const statements = report.files[0]?.statements ?? [];
  assert.equal(statements.length, 4);
  for (const statement of statements) {
    assert.deepEqual(statement.locks.filter((lock) => lock.relation.name === 'big').map((lock) => lock.mode), ['AccessExclusiveLock'], `statement ${statement.number}`);
  }
  assert.deepEqual(report.files[0]?.holds.map((hold) => [hold.relation.name, hold.from, hold.to, hold.untilCommit]), [['big', 1, 4, true]]);
});

test('--strict makes findings exit 3; a bad --big is a usage error', async () => {
  const { project } = await weighedTarget({ 'migrations/002_index.sql': 'CREATE INDEX ix_big_payload ON big (payload);\n' });
  const loose = await project.run(['trace', '--big', '0']);
  assert.equal(loose.status, 0, loose.stderr);
  assert.match(loose.stdout, /index-not-concurrent/);
  const strict = await project.run(['trace', '--big', '0', '--strict']);
  assert.equal(strict.status, 3, strict.stderr);
  for (const bad of ['ten', '-1MB', '10 parsecs']) {
    const run = await project.run(['trace', '--big', bad]);
    assert.equal(run.status, 2, `--big ${bad}: ${run.stderr}`);
    assert.match(run.stderr, /--big/);
  }
});

test('an allow with a reason silences the finding and is listed with it; one without a reason or naming an unknown rule stops the trace, as it stops lint', async () => {
  const { project } = await weighedTarget({
    'migrations/002_index.sql': '-- pgshift:allow index-not-concurrent big is rebuilt at night with writes stopped\nCREATE INDEX ix_big_payload ON big (payload);\n',
  });
  const { report } = await traceJson(project, ['--big', '0']);
  assert.deepEqual(report.findings, []);
  assert.deepEqual(report.allowed.map((allowed) => [allowed.rule, allowed.reason]), [['index-not-concurrent', 'big is rebuilt at night with writes stopped']]);
  for (const allow of ['-- pgshift:allow index-not-concurrent', '-- pgshift:allow index-not-concurent it is small']) {
    await project.write('migrations/002_index.sql', `${allow}\nCREATE INDEX ix_big_payload ON big (payload);\n`);
    const refused = await project.run(['trace', '--big', '0']);
    assert.equal(refused.status, 3, `${allow}: ${refused.stderr}`);
    assert.match(refused.stderr, /migrations\/002_index\.sql:1/);
  }
});

test("the project's own 001: its locks on user_sessions are findings, its index is flagged and its allow honoured", async () => {
  const db = await testDatabase(import.meta.url);
  const project = await copyOfRepository(db.url);
  const first = await project.run(['up', '--to', '0']);
  assert.equal(first.status, 0, first.stderr);
  const { report } = await traceJson(project, ['--big', '0']);
  assert.deepEqual(report.files.map((file) => file.path), ['migrations/001_add_session_permissions.sql']);
  const rules = report.findings.map((finding) => `${finding.rule} ${finding.relation} ${finding.statement}`);
  assert.ok(rules.includes('lock-blocks-writes public.user_sessions 1'), rules.join('\n'));
  assert.deepEqual(report.allowed.map((allowed) => [allowed.rule, allowed.relation]), [['index-not-concurrent', 'public.user_sessions']]);
  assert.match(report.allowed[0]?.reason ?? '', /^built in this transaction/);
  const status = await project.run(['status', '--json']);
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /"pending"/, 'the trace applied nothing to the target');
});

test('up --dry-run --trace adds the trace to the dry run as comments and changes nothing; --trace alone is refused', async () => {
  const { db, project } = await weighedTarget({ 'migrations/002_index.sql': 'CREATE INDEX ix_big_payload ON big (payload);\n' });
  const dry = await project.run(['up', '--dry-run', '--trace', '--big', '0']);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /CREATE INDEX ix_big_payload ON big \(payload\);/);
  assert.match(dry.stdout, /^-- .*index-not-concurrent/m);
  assert.deepEqual(dry.stdout.split('\n').filter((line) => /index-not-concurrent/.test(line) && !line.startsWith('-- ')), [], 'the trace is all comments');
  const strict = await project.run(['up', '--dry-run', '--trace', '--big', '0', '--strict', '--no-lint']);
  assert.equal(strict.status, 3, strict.stderr);
  const [{ count }] = await db.sql<[{ count: number }]>`SELECT count(*)::int AS count FROM pg_indexes WHERE indexname = 'ix_big_payload'`;
  assert.equal(count, 0);
  const alone = await project.run(['up', '--trace']);
  assert.equal(alone.status, 2);
  assert.match(alone.stderr, /--trace goes with --dry-run/);
  const big = await project.run(['up', '--big', '1MB']);
  assert.equal(big.status, 2);
  assert.match(big.stderr, /--big applies to a trace/);
});

test('verify --locks gives the verify results and the trace', async () => {
  const { project } = await weighedTarget({
    'migrations/002_index.sql': 'CREATE INDEX ix_big_payload ON big (payload);\n',
    'rollbacks/002_index.sql': 'DROP INDEX ix_big_payload;\n',
  });
  const run = await project.run(['verify', '--locks', '--json', '--big', '0']);
  assert.equal(run.status, 0, run.stderr);
  const answer = JSON.parse(run.stdout) as { verify: Array<{ outcome: string }>; trace: TraceReport };
  assert.deepEqual(answer.verify.map((result) => result.outcome), ['pass']);
  assert.deepEqual(answer.trace.findings.map((finding) => finding.rule), ['index-not-concurrent']);
  const text = await project.run(['verify', '--locks', '--big', '0', '--strict']);
  assert.equal(text.status, 3, text.stderr);
  assert.match(text.stdout, /^PASS {2}migrations\/002_index\.sql/m);
  assert.match(text.stdout, /ShareLock|SHARE public\.big/);
});

test('nothing pending: nothing to trace, exit 0', async () => {
  const { project } = await weighedTarget({});
  const run = await project.run(['trace']);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^nothing to trace: no pending migrations/);
});

test('--scratch embedded traces on a throwaway server of its own and still weighs by the target', async () => {
  const { project } = await weighedTarget({ 'migrations/002_type.sql': 'ALTER TABLE big ALTER COLUMN id TYPE bigint;\n' });
  const { run, report } = await traceJson(project, ['--scratch', 'embedded', '--big', '1MB']);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(report.findings.map((finding) => [finding.rule, finding.relation]), [['alter-column-type', 'public.big']]);
  const changes = report.files[0]?.statements[0]?.changes ?? [];
  assert.ok(changes.some((change) => change.kind === 'rewrite' && change.relation.name === 'big'), JSON.stringify(changes));
  assert.deepEqual((await readdir(project.path('.pgshift')).catch(() => [])).filter((name) => name.startsWith('scratch-')), [], 'the scratch server is removed');
});

test('the API returns the same report, with --big given as bytes or as a size', async () => {
  const { db, project } = await weighedTarget({ 'migrations/002_index.sql': 'CREATE INDEX ix_big_payload ON big (payload);\n' });
  const migrator = createMigrator({ database: { url: db.url }, cwd: project.dir, logger: silentLogger });
  const asBytes = await migrator.trace({ big: 1024 * 1024 });
  const asSize = await migrator.trace({ big: '1MB' });
  assert.deepEqual(asBytes.findings.map((finding) => finding.rule), ['index-not-concurrent']);
  assert.deepEqual(asSize.findings, asBytes.findings);
  await assert.rejects(migrator.trace({ big: 'lots' }), (error: unknown) => isPgshiftError(error) && error.code === 'USAGE' && /big/.test(error.message));
});
