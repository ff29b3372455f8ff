/** planReplay: what drift replays to rebuild the schema the applied migrations describe. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCatalog, type Catalog } from '../../src/core/catalog.js';
import { contentOf } from '../../src/core/checksum.js';
import { isPgshiftError, type PgshiftError } from '../../src/core/errors.js';
import { analyzeScript, statementHash } from '../../src/core/file-analysis.js';
import type { History } from '../../src/core/ledger-problems.js';
import { firstServerWide, planReplay } from '../../src/core/replay-plan.js';
import type { LedgerRow, ProgressRow, SqlFile } from '../../src/core/types.js';
import { cliPlanWords } from '../../src/config/wording.js';

const NO_TRANSACTION = '-- pgshift:no-transaction\nCREATE INDEX CONCURRENTLY ix_a ON a (x);\nCREATE INDEX CONCURRENTLY ix_b ON a (y);\nCREATE INDEX CONCURRENTLY ix_c ON a (z);\n';

const catalog: Catalog = buildCatalog([
  { kind: 'migration', baseName: '001_a.sql', path: 'migrations/001_a.sql', content: contentOf(Buffer.from('CREATE TABLE a (x int, y int, z int);\n')) },
  { kind: 'migration', baseName: '002_b.sql', path: 'migrations/002_b.sql', content: contentOf(Buffer.from('CREATE TABLE b (id int);\n')) },
  { kind: 'migration', baseName: '003_c.sql', path: 'migrations/003_c.sql', content: contentOf(Buffer.from('CREATE TABLE c (id int);\n')) },
  { kind: 'migration', baseName: '004_ix.sql', path: 'migrations/004_ix.sql', content: contentOf(Buffer.from(NO_TRANSACTION)) },
]);

const file = (version: number): SqlFile => catalog.migrations.find((candidate) => candidate.version === version) as SqlFile;

/** A ledger row written `applied`-th (its applied_order), at that minute. */
function row(version: number, applied: number, checksum = file(version).checksum): LedgerRow {
  return { version, name: file(version).name, checksum, appliedAt: new Date(Date.UTC(2026, 0, 1, 0, applied)), appliedBy: 'deploy', executionMs: 1, appliedOrder: applied };
}

function partial(version: number, done: number): ProgressRow {
  const analysis = analyzeScript(file(version));
  return {
    version,
    name: file(version).name,
    statementHashes: analysis.statements.slice(0, done).map((statement) => statementHash(file(version), statement)),
    statementCount: analysis.statements.length,
    runningStatement: undefined,
    createdIndex: undefined,
    lastError: 'duplicate key',
    updatedAt: new Date(),
  };
}

function failure(history: History): PgshiftError {
  try {
    planReplay(catalog, history, cliPlanWords());
  } catch (error) {
    assert.ok(isPgshiftError(error));
    return error;
  }
  assert.fail('expected planReplay to refuse');
}

test('replays ledger rows in the order they were applied, not by version (a file run out of order stays where it ran)', () => {
  const steps = planReplay(catalog, { ledger: [row(1, 1), row(3, 2), row(2, 3)], progress: [] }, cliPlanWords());
  assert.deepEqual(steps.map((step) => [step.file.version, step.statements]), [[1, undefined], [3, undefined], [2, undefined]]);
});

test("the ledger's applied order decides, not applied_at (a clock set back between two runs)", () => {
  const steps = planReplay(catalog, { ledger: [{ ...row(2, 2), appliedAt: new Date(0) }, row(1, 1)], progress: [] }, cliPlanWords());
  assert.deepEqual(steps.map((step) => step.file.version), [1, 2]);
});

test('a partly applied no-transaction file comes last, with the number of statements that ran', () => {
  const steps = planReplay(catalog, { ledger: [row(1, 1), row(2, 2), row(3, 3)], progress: [partial(4, 2)] }, cliPlanWords());
  assert.deepEqual(steps.map((step) => [step.file.version, step.statements]), [[1, undefined], [2, undefined], [3, undefined], [4, 2]]);
});

test('nothing applied: nothing to replay', () => {
  assert.deepEqual(planReplay(catalog, { ledger: [], progress: [] }, cliPlanWords()), []);
});

test('an applied file that changed stops it (exit 3), naming the file', () => {
  const error = failure({ ledger: [row(1, 1), row(2, 2, 'f'.repeat(64))], progress: [] });
  assert.equal(error.code, 'VALIDATION_FAILED');
  assert.deepEqual(error.problems?.map((problem) => [problem.code, problem.file]), [['CHECKSUM_MISMATCH', 'migrations/002_b.sql']]);
});

test('an applied version with no file stops it', () => {
  const error = failure({ ledger: [row(1, 1), { ...row(1, 2), version: 9, name: 'gone' }], progress: [] });
  assert.deepEqual(error.problems?.map((problem) => [problem.code, problem.version]), [['MIGRATION_MISSING', 9]]);
});

test('a partly applied file whose statements that ran were edited stops it', () => {
  const edited = { ...partial(4, 2), statementHashes: ['0'.repeat(64), '1'.repeat(64)] };
  const error = failure({ ledger: [row(1, 1)], progress: [edited] });
  assert.deepEqual(error.problems?.map((problem) => problem.code), ['PARTIAL_CHANGED']);
});

test('pending files are not replayed, and a pending file below the highest applied one is no problem here', () => {
  const steps = planReplay(catalog, { ledger: [row(1, 1), row(3, 2)], progress: [] }, cliPlanWords());
  assert.deepEqual(steps.map((step) => step.file.version), [1, 3]);
});

test('firstServerWide names the first statement that changes the whole server, with its line', () => {
  const roles = buildCatalog([
    { kind: 'migration', baseName: '001_t.sql', path: 'migrations/001_t.sql', content: contentOf(Buffer.from('CREATE TABLE t (id int);\n')) },
    { kind: 'migration', baseName: '002_r.sql', path: 'migrations/002_r.sql', content: contentOf(Buffer.from('-- roles\nGRANT SELECT ON t TO PUBLIC;\nCREATE ROLE reporting NOLOGIN;\nGRANT reporting TO app;\n')) },
  ]);
  const found = firstServerWide(roles.migrations);
  assert.deepEqual(found && [found.file.path, found.line, found.name], ['migrations/002_r.sql', 3, 'CREATE ROLE']);
  assert.equal(firstServerWide(roles.migrations.slice(0, 1)), undefined);
});
