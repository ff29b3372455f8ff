/** The lock trace's verdicts from hand-built traces: rules, holds, weighing, suppressions and configuration. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { allowsBetween } from '../../src/core/allow.js';
import { analyzeScript } from '../../src/core/file-analysis.js';
import { checksumOf } from '../../src/core/checksum.js';
import type { CatalogChange, FileTrace, LockMode, RelationSize, TraceReport, TracedRelation } from '../../src/core/trace-types.js';
import { lintFiles, type LintConfig } from '../../src/lint/lint.js';
import { RULE_BY_ID, RULES } from '../../src/lint/rules/index.js';
import { traceReport } from '../../src/lint/trace-findings.js';
import { TRACE_RULES } from '../../src/lint/trace-rules.js';

const table = (name: string): TracedRelation => ({ schema: 'public', name, kind: 'table' });
const T = table('t');
const U = table('u');

interface Part {
  readonly sql: string;
  /** Comments before the statement. */
  readonly before?: string;
  readonly locks?: ReadonlyArray<readonly [TracedRelation, LockMode]>;
  readonly changes?: readonly CatalogChange[];
}

/** A file of these statements, one a line, with the positions the tracer would record. */
function traced(parts: readonly Part[], transaction = true): { trace: FileTrace; text: string } {
  let text = '';
  const statements = parts.map((part, index) => {
    text += part.before ?? '';
    const start = text.length;
    text += part.sql;
    const end = text.length;
    text += ';\n';
    return {
      number: index + 1,
      line: text.slice(0, start).split('\n').length,
      column: start - text.lastIndexOf('\n', start - 1),
      start,
      end,
      summary: part.sql,
      locks: (part.locks ?? []).map(([relation, mode]) => ({ relation, mode })),
      observed: 'after' as const,
      changes: part.changes ?? [],
    };
  });
  return { trace: { path: 'migrations/007_change.sql', version: 7, name: 'change', transaction, statements }, text };
}

function report(parts: readonly Part[], options: { transaction?: boolean; sizes?: ReadonlyMap<string, RelationSize>; config?: LintConfig } = {}): TraceReport {
  return traceReport([traced(parts, options.transaction ?? true)], { sizes: options.sizes, big: 10 * 1024 ** 2, config: options.config ?? {} });
}

const found = (result: TraceReport): string[][] => result.findings.map((finding) => [String(finding.statement), finding.relation, finding.rule]);

const AE = 'AccessExclusiveLock';

describe('each case gets the most specific rule', () => {
  // A statement the file goes on after, so its lock is held past it (locks accumulate: the next holds them too).
  const one = (locks: NonNullable<Part['locks']>, ...changes: CatalogChange[]): string[][] => found(report([{ sql: 'ALTER TABLE t', locks, changes }, { sql: 'SELECT 1', locks }]));
  const rewrite: CatalogChange = { kind: 'rewrite', relation: T };

  test('a rewrite: alter-column-type, volatile-default or table-rewrite, also through an index of the table', () => {
    assert.deepEqual(one([[T, AE]], { kind: 'column-type', table: T, column: 'c', from: 'integer', to: 'bigint' }, rewrite), [['1', 'public.t', 'alter-column-type']]);
    assert.deepEqual(one([[T, AE]], { kind: 'column-added', table: T, column: 'c' }, rewrite), [['1', 'public.t', 'volatile-default']]);
    assert.deepEqual(one([[T, AE]], rewrite), [['1', 'public.t', 'table-rewrite']]);
    const index: TracedRelation = { schema: 'public', name: 't_pkey', kind: 'index', table: 'public.t' };
    assert.deepEqual(one([[T, AE], [index, AE]], { kind: 'rewrite', relation: index }), [['1', 'public.t', 'table-rewrite']]);
    // A column type changed without a rewrite (varchar(10) to text) only holds the lock.
    assert.deepEqual(one([[T, AE]], { kind: 'column-type', table: T, column: 'c', from: 'varchar(10)', to: 'text' }), [['1', 'public.t', 'lock-blocks-writes']]);
  });

  test('constraints: checked rows, foreign keys on both tables, NOT VALID, unique', () => {
    const added = (type: 'check' | 'foreign key' | 'unique', validated: boolean, references?: TracedRelation): CatalogChange => ({
      kind: 'constraint-added',
      table: T,
      constraint: 'ck_x',
      type,
      validated,
      ...(references ? { references } : {}),
    });
    assert.deepEqual(one([[T, AE]], added('check', true)), [['1', 'public.t', 'constraint-not-valid']]);
    assert.deepEqual(one([[T, 'ShareRowExclusiveLock'], [U, 'ShareRowExclusiveLock']], added('foreign key', true, U)), [
      ['1', 'public.t', 'constraint-not-valid'],
      ['1', 'public.u', 'constraint-not-valid'],
    ]);
    assert.deepEqual(one([[T, AE]], added('check', false)), [['1', 'public.t', 'lock-blocks-writes']]);
    const created: CatalogChange = { kind: 'index-created', table: T, index: 'uq_x' };
    assert.deepEqual(one([[T, AE]], added('unique', true), created), [['1', 'public.t', 'unique-constraint']]);
    // USING INDEX: the index was built before, the statement only takes the lock.
    assert.deepEqual(one([[T, AE]], added('unique', true)), [['1', 'public.t', 'lock-blocks-writes']]);
  });

  test('NOT NULL, indexes, and a plain lock', () => {
    assert.deepEqual(one([[T, AE]], { kind: 'not-null-set', table: T, column: 'c' }), [['1', 'public.t', 'set-not-null']]);
    assert.deepEqual(one([[T, AE]], { kind: 'column-added', table: T, column: 'c' }, { kind: 'not-null-set', table: T, column: 'c' }), [['1', 'public.t', 'lock-blocks-writes']]);
    assert.deepEqual(one([[T, 'ShareLock']], { kind: 'index-created', table: T, index: 'ix' }), [['1', 'public.t', 'index-not-concurrent']]);
    assert.deepEqual(one([[T, AE]], { kind: 'index-dropped', table: T, index: 'ix' }), [['1', 'public.t', 'index-not-concurrent']]);
    assert.deepEqual(one([[T, AE]], { kind: 'column-dropped', table: T, column: 'c' }), [['1', 'public.t', 'lock-blocks-writes']]);
  });

  test('no finding for locks that let writes through, or on what is not a table', () => {
    assert.deepEqual(one([[T, 'ShareUpdateExclusiveLock']], { kind: 'constraint-validated', table: T, constraint: 'ck_x' }), []);
    assert.deepEqual(one([[{ schema: 'public', name: 'seq', kind: 'sequence' }, AE], [{ schema: 'public', name: 'v', kind: 'view' }, AE]]), []);
    const view: TracedRelation = { schema: 'public', name: 'mv', kind: 'materialized view' };
    assert.deepEqual(one([[view, 'ExclusiveLock']]), [['1', 'public.mv', 'lock-blocks-writes']]);
  });

  test('under a lock held since an earlier statement: only rewrites, index builds and checks of every row', () => {
    const result = report([
      { sql: 'ALTER TABLE t ADD COLUMN c int', locks: [[T, AE]], changes: [{ kind: 'column-added', table: T, column: 'c' }] },
      { sql: 'ALTER TABLE t VALIDATE CONSTRAINT ck_x', locks: [[T, AE]], changes: [{ kind: 'constraint-validated', table: T, constraint: 'ck_x' }] },
      { sql: 'CREATE INDEX ix ON t (c)', locks: [[T, AE]], changes: [{ kind: 'index-created', table: T, index: 'ix' }] },
      { sql: 'CLUSTER t', locks: [[T, AE]], changes: [{ kind: 'rewrite', relation: T }] },
    ]);
    assert.deepEqual(found(result), [
      ['1', 'public.t', 'lock-blocks-writes'],
      ['2', 'public.t', 'validates-rows'],
      ['3', 'public.t', 'index-not-concurrent'],
      ['4', 'public.t', 'table-rewrite'],
    ]);
    assert.equal(result.findings[1]?.message, 'checks every row of public.t for constraint ck_x under ACCESS EXCLUSIVE, held from statement 1 to commit (4 statements)');
    assert.equal(result.findings[2]?.message, 'reads every row of public.t to build index ix under ACCESS EXCLUSIVE, held from statement 1 to commit (4 statements)');
    assert.equal(result.findings[3]?.message, 'rewrites public.t under ACCESS EXCLUSIVE, held from statement 1 to commit (4 statements)');
  });
});

test('a plain lock taken by the last statement of its file is no finding: it ends with the statement (its own file with a lock timeout is the safe form)', () => {
  assert.deepEqual(found(report([{ sql: 'ALTER TABLE t ADD COLUMN c int', locks: [[T, AE]] }])), []);
  assert.deepEqual(found(report([{ sql: 'SELECT 1' }, { sql: 'ALTER TABLE t ADD COLUMN c int', locks: [[T, AE]] }])), []);
  // Work done under it still counts there: a rewrite is as long as the table.
  assert.deepEqual(found(report([{ sql: 'ALTER TABLE t ALTER c TYPE bigint', locks: [[T, AE]], changes: [{ kind: 'rewrite', relation: T }] }])), [['1', 'public.t', 'table-rewrite']]);
});

test('a transaction holds each lock at its strongest until commit; a no-transaction file, for one statement', () => {
  const addColumn: Part = { sql: 'ALTER TABLE t ADD COLUMN d int', locks: [[T, AE], [U, 'AccessShareLock']] };
  const parts: Part[] = [
    { sql: 'CREATE INDEX ix ON t (c)', locks: [[T, 'ShareLock']], changes: [{ kind: 'index-created', table: T, index: 'ix' }] },
    addColumn,
    { sql: 'SELECT 1', locks: [[T, AE], [U, 'AccessShareLock']] },
  ];
  const inTransaction = report(parts);
  assert.deepEqual(inTransaction.files[0]?.holds, [
    { relation: T, mode: AE, from: 2, to: 3, untilCommit: true },
    { relation: U, mode: 'AccessShareLock', from: 2, to: 3, untilCommit: true },
  ]);
  assert.deepEqual(inTransaction.findings.map((finding) => finding.message), [
    'SHARE on public.t held from statement 1 to commit (3 statements)',
    'ACCESS EXCLUSIVE on public.t held from statement 2 to commit (2 statements)',
  ]);
  assert.equal(inTransaction.weighed, false);

  const alone = report([addColumn, { sql: 'SELECT 1' }, { sql: 'ALTER TABLE t DROP COLUMN d', locks: [[T, AE]] }], { transaction: false });
  assert.deepEqual(alone.files[0]?.holds, [
    { relation: T, mode: AE, from: 1, to: 1, untilCommit: false },
    { relation: U, mode: 'AccessShareLock', from: 1, to: 1, untilCommit: false },
    { relation: T, mode: AE, from: 3, to: 3, untilCommit: false },
  ]);
  // Each lock ends with its statement and does no work of its own there: lock_timeout covers its wait.
  assert.deepEqual(alone.findings, []);
});

test('weighed against the target: absent and small tables are no finding, big ones say their size', () => {
  const [small, big, unanalyzed, absent] = ['small', 'big', 'unanalyzed', 'absent'].map(table) as [TracedRelation, TracedRelation, TracedRelation, TracedRelation];
  const sizes = new Map<string, RelationSize>([
    ['public.small', { bytes: 8192, rows: 12 }],
    ['public.big', { bytes: Math.round(1.2 * 1024 ** 3), rows: 8_400_000 }],
    // Never vacuumed or analyzed: relpages says 0 whatever the table holds, so it is weighed as unknown.
    ['public.unanalyzed', { bytes: 0, rows: undefined }],
  ]);
  const locks = [small, big, unanalyzed, absent].map((relation) => [relation, AE] as const);
  const parts: Part[] = [{ sql: 'LOCK small, big, unanalyzed, absent', locks }, { sql: 'SELECT 1' }];
  const result = report(parts, { sizes });
  assert.equal(result.weighed, true);
  assert.equal(result.big, 10 * 1024 ** 2);
  assert.deepEqual(result.findings.map((finding) => finding.message), [
    'ACCESS EXCLUSIVE on public.big (1.2 GB, ~8.4 M rows) held from statement 1 to commit (2 statements)',
    'ACCESS EXCLUSIVE on public.unanalyzed (size unknown: never vacuumed or analyzed) held from statement 1 to commit (2 statements)',
  ]);
  assert.deepEqual(result.files[0]?.holds.map((hold) => hold.size), [sizes.get('public.small'), sizes.get('public.big'), sizes.get('public.unanalyzed'), 'absent']);
  // Not weighed: every case is a finding, and no hold carries a size.
  const unweighed = report(parts);
  assert.equal(unweighed.findings.length, 4);
  assert.ok(unweighed.files[0]?.holds.every((hold) => !('size' in hold)));
});

describe('suppressions and configuration, as lint has them', () => {
  const drop = (before: string): Part[] => [
    { sql: 'DROP INDEX ix', before, locks: [[T, AE]], changes: [{ kind: 'index-dropped', table: T, index: 'ix' }] },
    { sql: 'ALTER TABLE u ADD COLUMN c int', locks: [[T, AE], [U, AE]] },
    { sql: 'SELECT 1', locks: [[T, AE], [U, AE]] },
  ];

  test('an allow of the finding rule with a reason silences that statement only', () => {
    const result = report(drop('-- pgshift:allow index-not-concurrent t has ten rows\n'));
    assert.deepEqual(result.allowed.map((finding) => [finding.statement, finding.rule, finding.reason]), [[1, 'index-not-concurrent', 't has ten rows']]);
    assert.deepEqual(found(result), [['2', 'public.u', 'lock-blocks-writes']]);
  });

  test('an allow of another rule, or with no reason, silences nothing', () => {
    for (const before of ['-- pgshift:allow lock-blocks-writes t has ten rows\n', '-- pgshift:allow index-not-concurrent\n', '/* pgshift:allow parse-error new syntax */\n']) {
      const result = report(drop(before));
      assert.deepEqual(result.allowed, []);
      assert.deepEqual(found(result), [['1', 'public.t', 'index-not-concurrent'], ['2', 'public.u', 'lock-blocks-writes']], before);
    }
  });

  test('severities from the project configuration; off drops the finding; the hint is the rule\'s', () => {
    const result = report(drop(''), { config: { 'index-not-concurrent': 'error' } });
    const [finding] = result.findings;
    assert.deepEqual([finding?.severity, finding?.file, finding?.line, finding?.column], ['error', 'migrations/007_change.sql', 1, 1]);
    const info = RULE_BY_ID['index-not-concurrent'];
    assert.equal(finding?.hint, `${info.why}; instead: ${info.safe}`);
    assert.equal(result.findings[1]?.severity, 'warning');
    assert.deepEqual(found(report(drop(''), { config: { 'index-not-concurrent': 'off' } })), [['2', 'public.u', 'lock-blocks-writes']]);
  });
});

test('allowsBetween reads rule, reason and offset, and leaves the file directive parse-error out', () => {
  const text = 'SELECT 1;\n-- pgshift:allow parse-error newer syntax\n-- pgshift:allow table-rewrite it is empty  \n-- pgshift:allow\nSELECT 2;\n';
  const from = text.indexOf(';');
  assert.deepEqual(allowsBetween(text, from, text.lastIndexOf('SELECT')), [
    { rule: 'table-rewrite', reason: 'it is empty', at: text.indexOf('pgshift:allow table') },
    { at: text.lastIndexOf('pgshift:allow') },
  ]);
});

test('lint accepts the trace rules in -- pgshift:allow and lists them with its own', async () => {
  const lint = async (text: string): Promise<Awaited<ReturnType<typeof lintFiles>>> => {
    const file = { kind: 'migration' as const, version: 7, name: 'change', path: 'migrations/007_change.sql', text, checksum: checksumOf(text) };
    return lintFiles([{ file, analysis: analyzeScript(file) }]);
  };
  for (const { id } of TRACE_RULES) assert.deepEqual((await lint(`-- pgshift:allow ${id} it is empty\nSELECT 1;\n`)).problems, []);
  const [problem] = (await lint('-- pgshift:allow table-rewrit typo\nSELECT 1;\n')).problems;
  assert.equal(problem?.code, 'LINT_SUPPRESSION');
  assert.equal(problem?.hint, `the rules are: ${[...RULES, ...TRACE_RULES].map((rule) => rule.id).join(', ')}`);
});
