/** buildCatalog and the planner: which files exist, what up and down would run, and what status shows. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildCatalog, type Catalog } from '../../src/core/catalog.js';
import { checksumOf, contentOf } from '../../src/core/checksum.js';
import { isPgshiftError, type PgshiftError } from '../../src/core/errors.js';
import { cliPlanWords } from '../../src/config/wording.js';
import type { History } from '../../src/core/ledger-problems.js';
import { planDown as planDownIn } from '../../src/core/plan-down.js';
import { planUp as planUpIn } from '../../src/core/plan-up.js';
import { statusOf } from '../../src/core/status.js';
import type { PlanWords, Wording } from '../../src/core/wording.js';
import type { VersionedKind, LedgerRow, RawFile, SqlFile } from '../../src/core/types.js';

function raw(kind: VersionedKind, baseName: string, text = `SELECT '${baseName}';\n`): RawFile {
  return { kind, baseName, path: `${kind === 'migration' ? 'migrations' : 'rollbacks'}/${baseName}`, content: contentOf(Buffer.from(text)) };
}

type Worded<T> = Omit<T, 'wording' | 'folders'> & Partial<Pick<PlanWords, 'folders'>>;
const planUp = (catalog: Catalog, history: History, options: Worded<Parameters<typeof planUpIn>[2]> = {}) => planUpIn(catalog, history, { ...cliPlanWords(), ...options });
const planDown = (catalog: Catalog, history: History, options: Worded<Parameters<typeof planDownIn>[2]> = {}) => planDownIn(catalog, history, { ...cliPlanWords(), ...options });

const migration = (baseName: string, text?: string): RawFile => raw('migration', baseName, text);
const rollback = (baseName: string, text?: string): RawFile => raw('rollback', baseName, text);

/** A catalog of migrations `NNN_mN.sql` for each version, with a rollback for those listed in `withRollback`. */
function catalogOf(versions: readonly number[], withRollback: readonly number[] = []): Catalog {
  const name = (version: number): string => `${String(version).padStart(3, '0')}_m${version}.sql`;
  return buildCatalog([...versions.map((version) => migration(name(version))), ...withRollback.map((version) => rollback(name(version)))]);
}

function fileOf(catalog: Catalog, version: number): SqlFile {
  const file = catalog.migrations.find((candidate) => candidate.version === version);
  assert.ok(file, `no migration with version ${version} in the catalog`);
  return file;
}

function row(version: number, checksum: string, name = `m${version}`): LedgerRow {
  return { version, name, checksum, appliedAt: new Date(Date.UTC(2024, 0, version)), appliedBy: 'deploy', executionMs: version * 10, appliedOrder: version };
}

/** A history in which the given versions were applied from exactly the files now in the catalog. */
function appliedFrom(catalog: Catalog, versions: readonly number[]): History {
  return { ledger: versions.map((version) => row(version, fileOf(catalog, version).checksum)), progress: [] };
}

function ledgerOf(...rows: LedgerRow[]): History {
  return { ledger: rows, progress: [] };
}

function failureOf(run: () => unknown): PgshiftError {
  try {
    run();
  } catch (error) {
    assert.ok(isPgshiftError(error), `expected a PgshiftError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected it to throw');
}

function problemCodesOf(run: () => unknown): string[] {
  return failureOf(run).problems.map((problem) => problem.code);
}

const versionsOf = (items: ReadonlyArray<{ readonly version: number }>): number[] => items.map((item) => item.version);

describe('buildCatalog', () => {
  test('orders migrations by numeric version, never lexically', () => {
    const catalog = buildCatalog([migration('1000_c.sql'), migration('100_b.sql'), migration('99_a.sql')]);
    assert.deepEqual(versionsOf(catalog.migrations), [99, 100, 1000]);
    assert.deepEqual(catalog.problems, []);
  });

  test('puts 0100 after 099 although it sorts first as text', () => {
    const catalog = buildCatalog([migration('0100_b.sql'), migration('099_a.sql')]);
    assert.deepEqual(
      catalog.migrations.map((file) => file.path),
      ['migrations/099_a.sql', 'migrations/0100_b.sql'],
    );
  });

  test('stores normalised text and the checksum of that text', () => {
    const catalog = buildCatalog([migration('001_a.sql', '\ufeffSELECT 1;\r\nSELECT 2;\r\n')]);
    const file = fileOf(catalog, 1);
    assert.equal(file.text, 'SELECT 1;\nSELECT 2;\n');
    assert.equal(file.checksum, checksumOf('SELECT 1;\nSELECT 2;\n'));
    assert.deepEqual({ kind: file.kind, name: file.name }, { kind: 'migration', name: 'a' });
  });

  test('two migrations with the same version are a problem naming both files; the first is kept', () => {
    // 001 and 1 are the same integer version: a lexical comparison would miss this duplicate.
    const catalog = buildCatalog([migration('001_first.sql'), migration('1_second.sql')]);
    assert.deepEqual(
      catalog.problems.map(({ code, file, version }) => ({ code, file, version })),
      [{ code: 'DUPLICATE_VERSION', file: 'migrations/1_second.sql', version: 1 }],
    );
    assert.match(catalog.problems[0]?.message ?? '', /migrations\/001_first\.sql and migrations\/1_second\.sql/);
    assert.deepEqual(
      catalog.migrations.map((file) => file.name),
      ['first'],
    );
  });

  test('two rollbacks with the same version are a problem too', () => {
    const catalog = buildCatalog([migration('002_a.sql'), rollback('002_a.sql'), rollback('2_a.sql')]);
    assert.deepEqual(
      catalog.problems.map((problem) => problem.code),
      ['DUPLICATE_VERSION'],
    );
  });

  test('a migration and a rollback of the same version pair up instead of clashing', () => {
    const catalog = buildCatalog([migration('003_a.sql'), rollback('003_a.sql')]);
    assert.deepEqual(catalog.problems, []);
    assert.equal(catalog.rollbacks.get(3)?.path, 'rollbacks/003_a.sql');
  });

  test('a rollback with no migration of its version is an orphan', () => {
    const catalog = buildCatalog([migration('001_a.sql'), rollback('002_b.sql')]);
    assert.deepEqual(
      catalog.problems.map(({ code, file, version }) => ({ code, file, version })),
      [{ code: 'ORPHAN_ROLLBACK', file: 'rollbacks/002_b.sql', version: 2 }],
    );
  });

  test('a badly named .sql file is a problem, and is left out of the catalog', () => {
    const catalog = buildCatalog([migration('001_a.sql'), migration('2-typo.sql'), rollback('abc.sql')]);
    assert.deepEqual(
      catalog.problems.map(({ code, file }) => ({ code, file })),
      [
        { code: 'BAD_NAME', file: 'migrations/2-typo.sql' },
        { code: 'BAD_NAME', file: 'rollbacks/abc.sql' },
      ],
    );
    assert.deepEqual(versionsOf(catalog.migrations), [1]);
    assert.equal(catalog.rollbacks.size, 0);
  });

  test('a file that is not valid UTF-8 is a problem at the line of its first bad byte, and is left out', () => {
    const catalog = buildCatalog([
      migration('001_a.sql'),
      { kind: 'migration', baseName: '002_latin1.sql', path: 'migrations/002_latin1.sql', content: { invalidUtf8AtLine: 4 } },
    ]);
    assert.deepEqual(
      catalog.problems.map(({ code, file, version, line }) => ({ code, file, version, line })),
      [{ code: 'INVALID_ENCODING', file: 'migrations/002_latin1.sql', version: 2, line: 4 }],
    );
    assert.match(catalog.problems[0]?.message ?? '', /^migrations\/002_latin1\.sql:4: /);
    assert.deepEqual(versionsOf(catalog.migrations), [1]);
  });
});

describe('planUp', () => {
  test('plans every pending migration in version order, skipping applied ones', () => {
    const catalog = catalogOf([3, 1, 2, 4]);
    assert.deepEqual(versionsOf(planUp(catalog, ledgerOf()).map((step) => step.file)), [1, 2, 3, 4]);
    assert.deepEqual(versionsOf(planUp(catalog, appliedFrom(catalog, [1, 2])).map((step) => step.file)), [3, 4]);
  });

  test('nothing pending plans nothing', () => {
    const catalog = catalogOf([1, 2]);
    assert.deepEqual(planUp(catalog, appliedFrom(catalog, [1, 2])), []);
  });

  test('to stops after that version', () => {
    const catalog = catalogOf([1, 2, 3, 4]);
    assert.deepEqual(versionsOf(planUp(catalog, appliedFrom(catalog, [1]), { to: 3 }).map((step) => step.file)), [2, 3]);
  });

  test('to a version no file has is a usage error', () => {
    const error = failureOf(() => planUp(catalogOf([1, 2]), ledgerOf(), { to: 5 }));
    assert.equal(error.code, 'USAGE');
  });

  test('a pending file below the highest applied version is OUT_OF_ORDER and nothing is planned', () => {
    const catalog = catalogOf([1, 2, 3, 4]);
    const error = failureOf(() => planUp(catalog, appliedFrom(catalog, [1, 3])));
    assert.equal(error.code, 'VALIDATION_FAILED');
    assert.deepEqual(
      error.problems.map(({ code, file }) => ({ code, file })),
      [{ code: 'OUT_OF_ORDER', file: 'migrations/002_m2.sql' }],
    );
  });

  test("the OUT_OF_ORDER hint names the three ways on: renumber, --migration, --allow-out-of-order", () => {
    const catalog = catalogOf([1, 2, 3]);
    const [problem] = failureOf(() => planUp(catalog, appliedFrom(catalog, [1, 3]))).problems;
    assert.equal(problem?.hint, 'renumber it above 3, apply it on purpose with pgshift up --migration migrations/002_m2.sql, or let up apply files merged out of order with --allow-out-of-order');
  });

  test('outOfOrder plans every pending file, those below the highest applied version first, in version order', () => {
    const catalog = catalogOf([1, 2, 3, 4, 5, 6]);
    const history = appliedFrom(catalog, [1, 3, 5]);
    assert.deepEqual(versionsOf(planUp(catalog, history, { outOfOrder: true }).map((step) => step.file)), [2, 4, 6]);
    assert.deepEqual(versionsOf(planUp(catalog, history, { outOfOrder: true, to: 4 }).map((step) => step.file)), [2, 4]);
  });

  test('outOfOrder still refuses a changed applied file', () => {
    const catalog = catalogOf([1, 2, 3]);
    const history = { ledger: [row(1, 'ab'.repeat(32)), row(3, fileOf(catalog, 3).checksum)], progress: [] };
    assert.deepEqual(failureOf(() => planUp(catalog, history, { outOfOrder: true })).problems.map((problem) => problem.code), ['CHECKSUM_MISMATCH']);
  });

  test('only applies that one file, even below the highest applied version', () => {
    const catalog = catalogOf([1, 2, 3, 4]);
    const only = fileOf(catalog, 2);
    assert.deepEqual(
      planUp(catalog, appliedFrom(catalog, [1, 3]), { only }).map((step) => step.file),
      [only],
    );
  });

  test('only, for a file already applied with the same checksum, plans nothing', () => {
    const catalog = catalogOf([1, 2]);
    assert.deepEqual(planUp(catalog, appliedFrom(catalog, [1, 2]), { only: fileOf(catalog, 1) }), []);
  });

  test('only, for a version applied with another checksum, is CHECKSUM_MISMATCH', () => {
    const catalog = catalogOf([1, 2]);
    const edited: SqlFile = { ...fileOf(catalog, 1), text: 'SELECT 42;\n', checksum: checksumOf('SELECT 42;\n') };
    assert.deepEqual(
      problemCodesOf(() => planUp(catalog, appliedFrom(catalog, [1]), { only: edited })),
      ['CHECKSUM_MISMATCH'],
    );
  });

  test('an applied file whose text changed stops up with CHECKSUM_MISMATCH', () => {
    const catalog = catalogOf([1, 2]);
    const error = failureOf(() => planUp(catalog, ledgerOf(row(1, checksumOf('the text it was applied with')))));
    assert.equal(error.code, 'VALIDATION_FAILED');
    assert.equal(error.problems[0]?.code, 'CHECKSUM_MISMATCH');
    assert.equal(error.problems[0]?.file, 'migrations/001_m1.sql');
  });

  test('an applied version with no file stops up with MIGRATION_MISSING', () => {
    const catalog = catalogOf([1, 2]);
    const history = ledgerOf(...appliedFrom(catalog, [1, 2]).ledger, row(5, 'ab'.repeat(32)));
    assert.deepEqual(problemCodesOf(() => planUp(catalog, history)), ['MIGRATION_MISSING']);
  });

  test('one problem is VALIDATION_FAILED too, with its own message and hint', () => {
    const catalog = catalogOf([1, 2]);
    const error = failureOf(() => planUp(catalog, appliedFrom(catalog, [2])));
    assert.equal(error.code, 'VALIDATION_FAILED');
    assert.equal(error.problems.length, 1);
    assert.equal(error.message, error.problems[0]?.message);
    assert.equal(error.hint, error.problems[0]?.hint);
  });

  test('several problems are reported together as VALIDATION_FAILED', () => {
    const catalog = buildCatalog([migration('001_a.sql'), migration('002_b.sql'), migration('oops.sql')]);
    const error = failureOf(() => planUp(catalog, ledgerOf(row(1, 'ab'.repeat(32)), row(7, 'cd'.repeat(32)))));
    assert.equal(error.code, 'VALIDATION_FAILED');
    assert.deepEqual([...error.problems.map((problem) => problem.code)].sort(), ['BAD_NAME', 'CHECKSUM_MISMATCH', 'MIGRATION_MISSING', 'OUT_OF_ORDER']);
  });

  test('a pending file with its own COMMIT stops up before anything runs', () => {
    const catalog = buildCatalog([migration('001_a.sql'), migration('002_b.sql', 'CREATE TABLE t (id int);\nCOMMIT;\n')]);
    assert.deepEqual(problemCodesOf(() => planUp(catalog, ledgerOf())), ['TRANSACTION_CONTROL']);
  });
});

describe('planDown', () => {
  const catalog = catalogOf([1, 2, 3, 4], [1, 2, 3, 4]);
  const history = appliedFrom(catalog, [1, 2, 3]);

  test('reverts one step by default: the highest applied version, with its rollback file', () => {
    const steps = planDown(catalog, history);
    assert.deepEqual(
      steps.map(({ version, name, rollback: file }) => ({ version, name, path: file.path })),
      [{ version: 3, name: 'm3', path: 'rollbacks/003_m3.sql' }],
    );
  });

  test('steps reverts that many, newest first', () => {
    assert.deepEqual(versionsOf(planDown(catalog, history, { steps: 2 })), [3, 2]);
  });

  test('steps beyond what is applied reverts everything applied', () => {
    assert.deepEqual(versionsOf(planDown(catalog, history, { steps: 10 })), [3, 2, 1]);
  });

  test('a step count below 1 or not whole is a usage error', () => {
    for (const steps of [0, -1, 1.5]) {
      assert.equal(failureOf(() => planDown(catalog, history, { steps })).code, 'USAGE', `steps ${steps}`);
    }
  });

  test('to keeps that version and reverts everything above it', () => {
    assert.deepEqual(versionsOf(planDown(catalog, history, { to: 1 })), [3, 2]);
  });

  test('to 0 and all revert every applied version, newest first', () => {
    assert.deepEqual(versionsOf(planDown(catalog, history, { to: 0 })), [3, 2, 1]);
    assert.deepEqual(versionsOf(planDown(catalog, history, { all: true })), [3, 2, 1]);
  });

  test('to a version that is not applied is a usage error', () => {
    assert.equal(failureOf(() => planDown(catalog, history, { to: 4 })).code, 'USAGE');
  });

  test('nothing applied plans nothing', () => {
    assert.deepEqual(planDown(catalog, ledgerOf(), { all: true }), []);
  });

  test('if any version to revert has no rollback, nothing is planned and each missing one is named', () => {
    const partlyReversible = catalogOf([1, 2, 3], [2]);
    const error = failureOf(() => planDown(partlyReversible, appliedFrom(partlyReversible, [1, 2, 3]), { all: true }));
    assert.deepEqual(
      error.problems.map(({ code, version }) => ({ code, version })),
      [
        { code: 'ROLLBACK_MISSING', version: 3 },
        { code: 'ROLLBACK_MISSING', version: 1 },
      ],
    );
  });

  test('a rollback with no statements, or still marked unwritten, stops the whole plan like a missing one', () => {
    const files = buildCatalog([
      migration('001_a.sql'),
      migration('002_b.sql'),
      migration('003_c.sql'),
      rollback('001_a.sql', 'DROP TABLE a;\n'),
      rollback('002_b.sql', '-- Rollback of 002\n-- pgshift:unwritten\n\n-- DROP TABLE b;\n'),
      rollback('003_c.sql', '-- DROP TABLE c;\n'),
    ]);
    const error = failureOf(() => planDown(files, appliedFrom(files, [1, 2, 3]), { steps: 3 }));
    assert.deepEqual(
      error.problems.map(({ code, message }) => [code, message]),
      [
        ['UNWRITTEN', 'rollbacks/003_c.sql has no statements, so nothing was reverted'],
        ['UNWRITTEN', 'rollbacks/002_b.sql is still unwritten (it carries -- pgshift:unwritten), so nothing was reverted'],
      ],
    );
    assert.deepEqual(versionsOf(planDown(files, appliedFrom(files, [1]))), [1]);
  });

  describe('after a file ran out of order (applied order 1, 3, 2)', () => {
    const late = { ...appliedFrom(catalog, [1, 3, 2]), ledger: appliedFrom(catalog, [1, 3, 2]).ledger.map((entry, index) => ({ ...entry, appliedOrder: index + 1 })) };

    test('down reverts the newest-applied first, and steps count in applied order', () => {
      assert.deepEqual(versionsOf(planDown(catalog, late)), [2]);
      assert.deepEqual(versionsOf(planDown(catalog, late, { steps: 2 })), [2, 3]);
      assert.deepEqual(versionsOf(planDown(catalog, late, { all: true })), [2, 3, 1]);
    });

    test('a partly applied file goes where its last statement ran, by the server clock, among the applied rows', () => {
      const at = (minute: number): Date => new Date(Date.UTC(2024, 0, 1, 0, minute));
      const ledger = late.ledger.map((entry) => ({ ...entry, appliedAt: at(entry.appliedOrder * 10) }));
      const partial = (updated: number): History['progress'][number] => ({
        version: 4, name: 'm4', statementHashes: ['x'], statementCount: 2, runningStatement: undefined, createdIndex: undefined, lastError: 'boom', updatedAt: at(updated),
      });
      assert.deepEqual(versionsOf(planDown(catalog, { ledger, progress: [partial(35)] }, { all: true })), [4, 2, 3, 1], 'stopped after the last row');
      assert.deepEqual(versionsOf(planDown(catalog, { ledger, progress: [partial(25)] }, { all: true })), [2, 4, 3, 1], '2 applied (by --migration) after it stopped');
    });

    test('to V reverts every version above V, in applied order', () => {
      assert.deepEqual(versionsOf(planDown(catalog, late, { to: 1 })), [2, 3]);
      assert.deepEqual(versionsOf(planDown(catalog, late, { to: 2 })), [3]);
    });
  });

  test('a missing rollback of a version that stays applied does not matter', () => {
    const partlyReversible = catalogOf([1, 2, 3], [3]);
    assert.deepEqual(versionsOf(planDown(partlyReversible, appliedFrom(partlyReversible, [1, 2, 3]))), [3]);
  });
});

describe('statusOf', () => {
  test('reports applied, changed, pending and missing versions in version order, with hasRollback', () => {
    const catalog = catalogOf([1, 2, 4], [1, 4]);
    const changed = row(2, checksumOf('SELECT 2 as it was;\n'));
    const missing = row(3, 'ef'.repeat(32), 'dropped');
    const applied = row(1, fileOf(catalog, 1).checksum);
    const entries = statusOf(catalog, ledgerOf(missing, applied, changed));
    assert.deepEqual(
      entries.map(({ version, name, state, path, hasRollback }) => ({ version, name, state, path, hasRollback })),
      [
        { version: 1, name: 'm1', state: 'applied', path: 'migrations/001_m1.sql', hasRollback: true },
        { version: 2, name: 'm2', state: 'changed', path: 'migrations/002_m2.sql', hasRollback: false },
        { version: 3, name: 'dropped', state: 'missing', path: undefined, hasRollback: false },
        { version: 4, name: 'm4', state: 'pending', path: 'migrations/004_m4.sql', hasRollback: true },
      ],
    );
  });

  test("applied and missing entries carry the ledger's time, duration and checksum; pending ones the file's checksum", () => {
    const catalog = catalogOf([1, 2]);
    const changed = row(1, checksumOf('SELECT 1 as it was;\n'));
    const missing = row(9, 'ef'.repeat(32));
    const entries = statusOf(catalog, ledgerOf(changed, missing));
    assert.deepEqual(
      entries.map(({ version, appliedAt, executionMs, checksum }) => ({ version, appliedAt, executionMs, checksum })),
      [
        { version: 1, appliedAt: changed.appliedAt, executionMs: 10, checksum: changed.checksum },
        { version: 2, appliedAt: undefined, executionMs: undefined, checksum: fileOf(catalog, 2).checksum },
        { version: 9, appliedAt: missing.appliedAt, executionMs: 90, checksum: missing.checksum },
      ],
    );
  });
});

describe('statusOf, files merged out of order', () => {
  test('a partly applied file counts as started: files below it are out of order, and it is not', () => {
    const catalog = catalogOf([1, 2, 3, 4, 5]);
    const progress = [{ version: 3, name: 'm3', statementHashes: ['x'], statementCount: 2, runningStatement: undefined, createdIndex: undefined, lastError: undefined, updatedAt: new Date() }];
    const entries = statusOf(catalog, { ...appliedFrom(catalog, [1]), progress });
    assert.deepEqual(entries.map(({ version, state, outOfOrder }) => [version, state, outOfOrder ?? false]), [[1, 'applied', false], [2, 'pending', true], [3, 'partial', false], [4, 'pending', false], [5, 'pending', false]]);
  });

  test('marks pending files below the highest applied version, and only those', () => {
    const catalog = catalogOf([1, 2, 3, 4]);
    const entries = statusOf(catalog, appliedFrom(catalog, [1, 3]));
    assert.deepEqual(
      entries.map(({ version, state, outOfOrder }) => [version, state, outOfOrder ?? false]),
      [[1, 'applied', false], [2, 'pending', true], [3, 'applied', false], [4, 'pending', false]],
    );
  });
});

describe("hints in the caller's words and folders", () => {
  const inFolders = (migrations: string, rollbacks: string): Catalog =>
    buildCatalog([
      { kind: 'migration', baseName: '001_m1.sql', path: `${migrations}/001_m1.sql`, content: contentOf(Buffer.from('SELECT 1;\n')) },
      { kind: 'rollback', baseName: '001_m1.sql', path: `${rollbacks}/001_m1.sql`, content: contentOf(Buffer.from('SELECT 1;\n')) },
    ]);
  const hintsOf = (run: () => unknown): string[] => failureOf(run).problems.map((problem) => problem.hint);

  test('a missing migration is to be restored in the folder the migrations were read from', () => {
    const catalog = inFolders('db/m', 'db/r');
    const history = ledgerOf(...appliedFrom(catalog, [1]).ledger, row(5, 'ab'.repeat(32)));
    assert.deepEqual(hintsOf(() => planUp(catalog, history)), [
      "restore db/m/005_m5.sql from version control; pgshift will not run against history it cannot see",
    ]);
  });

  test('a missing rollback is to be written in the folder the rollbacks were read from', () => {
    const catalog = buildCatalog([...[1, 2].map((version) => migration(`00${version}_m${version}.sql`)), { kind: 'rollback', baseName: '001_m1.sql', path: 'db/r/001_m1.sql', content: contentOf(Buffer.from('SELECT 1;\n')) }]);
    assert.deepEqual(hintsOf(() => planDown(catalog, appliedFrom(catalog, [1, 2]))), ['write db/r/002_m2.sql that undoes it']);
  });

  test('with no file of that kind to show the folder, the folder the caller names', () => {
    const history = ledgerOf(row(5, 'ab'.repeat(32)));
    assert.deepEqual(hintsOf(() => planUp(buildCatalog([]), history, { folders: { migrations: 'db/m', rollbacks: 'db/r' } })), [
      "restore db/m/005_m5.sql from version control; pgshift will not run against history it cannot see",
    ]);
  });

  test('options and commands are named as the caller names them', () => {
    const wording: Wording = { option: (name) => `option ${name}`, command: (name) => `migrator.${name}()` };
    const words = { wording, folders: { migrations: 'm', rollbacks: 'r' } };
    const catalog = catalogOf([1, 2, 3]);
    assert.deepEqual(hintsOf(() => planUpIn(catalog, appliedFrom(catalog, [1, 3]), words)), [
      'renumber it above 3, apply it on purpose with migrator.up() option migration migrations/002_m2.sql, or let up apply files merged out of order with option allow-out-of-order',
    ]);
    const usage = failureOf(() => planDownIn(catalog, appliedFrom(catalog, [1]), { ...words, to: 2 }));
    assert.equal(usage.message, 'option to 2: version 2 is not applied');
    assert.equal(usage.hint, 'pass an applied version to keep (migrator.status() lists them); option to 0 reverts every version above 0, option all reverts everything');
    assert.equal(failureOf(() => planDownIn(catalog, ledgerOf(), { ...words, steps: 0 })).message, 'option steps 0 is not a whole number, 1 or more');
  });
});
