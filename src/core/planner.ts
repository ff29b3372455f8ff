/**
 * Decides what to run from the files on disk and the ledger's rows. Pure: no I/O, no clock, no driver.
 * Every plan is validated first; any problem stops it with the full list and nothing run.
 */
import type { Catalog } from './catalog.js';
import { failValidation, PgshiftError, type Problem } from './errors.js';
import { lineColumnAt } from './position.js';
import { checkNumber } from './numbers.js';
import { analyzeScript, statementHash, type ScriptAnalysis } from './script-checks.js';
import type { LedgerRow, ProgressRow, SqlFile, StatusEntry } from './types.js';

/** What the database says has been done: finished migrations, and no-transaction files stopped partway. */
export interface History {
  readonly ledger: readonly LedgerRow[];
  readonly progress: readonly ProgressRow[];
}

export interface UpOptions {
  /** Stop after this version. */
  readonly to?: number;
  /** Apply only this file (`--migration PATH`), even below the highest applied version. */
  readonly only?: SqlFile;
  /** All pending files in one transaction: refused when one of them cannot run in a transaction. */
  readonly singleTransaction?: boolean;
  /** Leave out pending files still marked -- pgshift:unwritten instead of refusing them (lint: nothing to check yet). */
  readonly skipUnwritten?: boolean;
}

export interface PlannedMigration {
  readonly file: SqlFile;
  readonly analysis: ScriptAnalysis;
  /** Set when a no-transaction file stopped partway: it resumes after the statements recorded here. */
  readonly progress?: ProgressRow;
}

export interface DownOptions {
  readonly steps?: number;
  /** Revert every applied version above this one (0 keeps a version 0; `all` reverts everything). */
  readonly to?: number;
  readonly all?: boolean;
}

export interface DownStep {
  readonly version: number;
  readonly name: string;
  readonly rollback: SqlFile;
  readonly analysis: ScriptAnalysis;
  /** Set when the migration being reverted was only partly applied: its progress is cleared, not a ledger row. */
  readonly partial: boolean;
}

/** Problems of the files themselves and of the ledger against them: drift, missing files, order. */
export function ledgerProblems(
  catalog: Catalog,
  { ledger, progress }: History,
  { checkOrder = true }: { readonly checkOrder?: boolean } = {},
): Problem[] {
  const problems = [...catalog.problems];
  const files = new Map(catalog.migrations.map((file) => [file.version, file]));
  for (const row of progress) {
    if (!files.has(row.version)) {
      problems.push({
        code: 'MIGRATION_MISSING',
        version: row.version,
        message: `version ${row.version} (${row.name}) is partly applied (${row.statementHashes.length} of ${row.statementCount} statements) but no migration file has that version`,
        hint: `restore migrations/${String(row.version).padStart(3, '0')}_${row.name}.sql to finish it with up, or revert what it did with down`,
      });
    }
  }
  let highestApplied: LedgerRow | undefined;
  for (const row of ledger) {
    if (!highestApplied || row.version > highestApplied.version) highestApplied = row;
    const file = files.get(row.version);
    if (!file) {
      problems.push({
        code: 'MIGRATION_MISSING',
        version: row.version,
        message: `version ${row.version} (${row.name}) is applied but no migration file has that version`,
        hint: `restore migrations/${String(row.version).padStart(3, '0')}_${row.name}.sql from version control; pgshift will not run against history it cannot see`,
      });
    } else if (file.checksum !== row.checksum) {
      problems.push({
        code: 'CHECKSUM_MISMATCH',
        file: file.path,
        version: row.version,
        message: `${file.path} was applied with checksum ${row.checksum.slice(0, 12)}… but now hashes to ${file.checksum.slice(0, 12)}…`,
        hint: 'an applied migration must not change: restore it (git checkout) and put the change in a new migration; if only comments or whitespace changed, record the file as it is with pgshift repair',
      });
    }
  }
  if (checkOrder && highestApplied) {
    const applied = new Set(ledger.map((row) => row.version));
    for (const file of catalog.migrations) {
      if (file.version < highestApplied.version && !applied.has(file.version)) {
        problems.push({
          code: 'OUT_OF_ORDER',
          file: file.path,
          version: file.version,
          message: `${file.path} is pending but version ${highestApplied.version} (${highestApplied.name}) is already applied`,
          hint: `renumber it above ${highestApplied.version}, or apply it on purpose with: pgshift up --migration ${file.path}`,
        });
      }
    }
  }
  return problems;
}

/** Everything `validate` reports: ledger problems plus script problems in every file. */
export function validationProblems(catalog: Catalog, history: History): Problem[] {
  const partial = new Map(history.progress.map((row) => [row.version, row]));
  const applied = new Set(history.ledger.map((row) => row.version));
  return [
    ...ledgerProblems(catalog, history),
    ...catalog.migrations.flatMap((file) => {
      const analysis = analyzeScript(file);
      const progress = partial.get(file.version);
      // An applied file ran as it was and never runs again: only pending files need units on their durations.
      const held = applied.has(file.version) ? analysis.problems.filter((problem) => problem.code !== 'DURATION_UNIT') : analysis.problems;
      return [...held, ...(progress ? resumeProblems(file, analysis, progress) : [])];
    }),
    ...[...catalog.rollbacks.values()].flatMap((file) => analyzeScript(file).problems),
  ];
}

export function planUp(catalog: Catalog, history: History, options: UpOptions = {}): PlannedMigration[] {
  checkNumbers(options);
  const { only, to } = options;
  const { ledger } = history;
  const problems = ledgerProblems(catalog, history, { checkOrder: only === undefined });
  const partial = new Map(history.progress.map((row) => [row.version, row]));
  const applied = new Map(ledger.map((row) => [row.version, row]));
  if (to !== undefined && !catalog.migrations.some((file) => file.version === to)) {
    throw new PgshiftError('USAGE', `--to ${to}: no migration has version ${to}`, {
      hint: 'pass the version of an existing migration file (pgshift status lists them)',
    });
  }

  let pending: SqlFile[];
  if (only) {
    const row = applied.get(only.version);
    if (row && row.checksum !== only.checksum) {
      problems.push({
        code: 'CHECKSUM_MISMATCH',
        file: only.path,
        version: only.version,
        message: `${only.path}: version ${only.version} (${row.name}) was applied with checksum ${row.checksum.slice(0, 12)}… but this file hashes to ${only.checksum.slice(0, 12)}…`,
        hint: 'an applied migration must not change: put the change in a new migration',
      });
    }
    pending = row ? [] : [only];
  } else {
    pending = catalog.migrations.filter((file) => !applied.has(file.version) && (to === undefined || file.version <= to));
  }

  const planned = pending.flatMap((file): PlannedMigration[] => {
    const analysis = analyzeScript(file);
    if (options.skipUnwritten && analysis.directives.unwritten) return [];
    const progress = partial.get(file.version);
    problems.push(...analysis.problems, ...(progress ? resumeProblems(file, analysis, progress) : []));
    return [{ file, analysis, ...(progress ? { progress } : {}) }];
  });
  if (problems.length > 0) failValidation(problems);
  const outside = options.singleTransaction ? planned.find((step) => !step.analysis.directives.transaction) : undefined;
  if (outside) {
    throw new PgshiftError('USAGE', `--single-transaction: ${outside.file.path} is a no-transaction file, which cannot run inside one transaction`, {
      hint: 'apply up to the version before it with --single-transaction --to, then run up without the flag',
    });
  }
  return planned;
}

/**
 * A partly applied file may be fixed from the failed statement on, but what already ran must not change:
 * resuming would otherwise record statements that never ran.
 */
function resumeProblems(file: SqlFile, analysis: ScriptAnalysis, progress: ProgressRow): Problem[] {
  const done = progress.statementHashes.length;
  const problem = (message: string, line?: number): Problem => ({
    code: 'PARTIAL_CHANGED',
    file: file.path,
    version: file.version,
    ...(line === undefined ? {} : { line }),
    message: `${file.path}${line === undefined ? '' : `:${line}`}: ${message}`,
    hint: `statements 1-${done} have already run and must stay as they were; put changes in the failed statement or later ones, or revert with pgshift down and start over`,
  });
  if (analysis.directives.transaction) {
    return [problem(`the file was partly applied as a no-transaction file (${done} of ${progress.statementCount} statements) but has lost its -- pgshift:no-transaction directive`)];
  }
  const changed = progress.statementHashes.findIndex((hash, index) => {
    const statement = analysis.statements[index];
    return !statement || statementHash(file, statement) !== hash;
  });
  if (changed === -1) return [];
  const statement = analysis.statements[changed];
  const line = statement ? lineColumnAt(file.text, statement.start).line : undefined;
  return [problem(`statement ${changed + 1} has already run (${done} of ${progress.statementCount} statements are done) but was edited or removed since`, line)];
}


/** Numbers a program passed, checked before anything connects (the CLI checks the text as typed earlier). */
export function checkNumbers(options: { readonly steps?: number | undefined; readonly to?: number | undefined }): void {
  checkNumber('--steps', options.steps, 'steps');
  checkNumber('--to', options.to, 'version');
}

export function planDown(catalog: Catalog, history: History, options: DownOptions = {}): DownStep[] {
  checkNumbers(options);
  const problems = ledgerProblems(catalog, history, { checkOrder: false });
  const partial = new Set(history.progress.map((row) => row.version));
  const newestFirst: Array<{ version: number; name: string }> = [...history.ledger, ...history.progress].sort(
    (a, b) => b.version - a.version,
  );
  let targets: Array<{ version: number; name: string }>;
  if (options.all) {
    targets = newestFirst;
  } else if (options.to !== undefined) {
    const { to } = options;
    if (to !== 0 && !newestFirst.some((row) => row.version === to)) {
      throw new PgshiftError('USAGE', `--to ${to}: version ${to} is not applied`, {
        hint: 'pass an applied version to keep (pgshift status lists them); --to 0 reverts every version above 0, --all reverts everything',
      });
    }
    targets = newestFirst.filter((row) => row.version > to);
  } else {
    const steps = options.steps ?? 1;
    targets = newestFirst.slice(0, steps);
  }

  const steps: DownStep[] = [];
  for (const applied of targets) {
    const rollback = catalog.rollbacks.get(applied.version);
    if (rollback) {
      const analysis = analyzeScript(rollback);
      steps.push({ version: applied.version, name: applied.name, rollback, analysis, partial: partial.has(applied.version) });
      problems.push(...analysis.problems, ...unwrittenRollback(rollback, analysis));
    } else {
      problems.push({
        code: 'ROLLBACK_MISSING',
        version: applied.version,
        message: `version ${applied.version} (${applied.name}) has no rollback file, so nothing was reverted`,
        hint: applied.version === 0
          ? 'version 0 has no rollback on purpose: it creates what existed before pgshift, and reverting must never drop that. Revert everything above it with pgshift down --to 0'
          : `write rollbacks/${String(applied.version).padStart(3, '0')}_${applied.name}.sql that undoes it`,
      });
    }
  }
  if (problems.length > 0) failValidation(problems);
  return steps;
}

/**
 * A rollback that would revert nothing: `pgshift new`'s template (still marked), or a file of comments only.
 * Running it would delete the ledger row and report "reverted" while the migration's changes stay.
 */
export function unwrittenRollback(rollback: SqlFile, analysis: ScriptAnalysis): Problem[] {
  const marked = analysis.directives.unwritten === true;
  if (!marked && analysis.statements.length > 0) return [];
  return [
    {
      code: 'UNWRITTEN',
      file: rollback.path,
      version: rollback.version,
      message: `${rollback.path} ${marked ? 'is still unwritten (it carries -- pgshift:unwritten)' : 'has no statements'}, so nothing was reverted`,
      hint: marked
        ? `write the statements that undo version ${rollback.version}, then delete the -- pgshift:unwritten line`
        : `write the statements that undo version ${rollback.version}; a rollback that runs nothing would drop the ledger row and leave the changes`,
    },
  ];
}

export function statusOf(catalog: Catalog, { ledger, progress }: History): StatusEntry[] {
  const rows = new Map(ledger.map((row) => [row.version, row]));
  const partial = new Map(progress.map((row) => [row.version, row]));
  const entries: StatusEntry[] = catalog.migrations.map((file) => {
    const row = rows.get(file.version);
    const started = partial.get(file.version);
    rows.delete(file.version);
    partial.delete(file.version);
    return {
      version: file.version,
      name: file.name,
      state: row ? (row.checksum === file.checksum ? 'applied' : 'changed') : started ? 'partial' : 'pending',
      path: file.path,
      appliedAt: row?.appliedAt,
      executionMs: row?.executionMs,
      checksum: row?.checksum ?? file.checksum,
      hasRollback: catalog.rollbacks.has(file.version),
      pgshiftVersion: row?.pgshiftVersion,
      gitCommit: row?.gitCommit,
      ...(started && !row ? { progress: progressOf(started) } : {}),
    };
  });
  for (const started of partial.values()) {
    if (rows.has(started.version)) continue;
    entries.push({
      version: started.version,
      name: started.name,
      state: 'missing',
      path: undefined,
      appliedAt: undefined,
      executionMs: undefined,
      checksum: '',
      hasRollback: catalog.rollbacks.has(started.version),
      progress: progressOf(started),
    });
  }
  for (const row of rows.values()) {
    entries.push({
      version: row.version,
      name: row.name,
      state: 'missing',
      path: undefined,
      appliedAt: row.appliedAt,
      executionMs: row.executionMs,
      checksum: row.checksum,
      hasRollback: catalog.rollbacks.has(row.version),
      pgshiftVersion: row.pgshiftVersion,
      gitCommit: row.gitCommit,
    });
  }
  return entries.sort((a, b) => a.version - b.version);
}

function progressOf(row: ProgressRow): NonNullable<StatusEntry['progress']> {
  return { done: row.statementHashes.length, total: row.statementCount, error: row.lastError };
}

/**
 * `baseline`: the migrations a database changed by hand already has, to record without running. Only on
 * an empty ledger: recording over existing rows would hide what was really applied.
 */
export function planBaseline(catalog: Catalog, { ledger, progress }: History, version: number): SqlFile[] {
  if (catalog.problems.length > 0) failValidation(catalog.problems);
  if (ledger.length > 0 || progress.length > 0) {
    throw new PgshiftError('USAGE', `baseline: the ledger already has ${ledger.length + progress.length} row(s)`, {
      hint: 'baseline is for a database that never had pgshift; on this one, use up (or up --migration PATH for one file)',
    });
  }
  if (!catalog.migrations.some((file) => file.version === version)) {
    throw new PgshiftError('USAGE', `baseline --version ${version}: no migration has version ${version}`, {
      hint: 'pass the version of the newest migration the database already has (pgshift status lists them)',
    });
  }
  return catalog.migrations.filter((file) => file.version <= version);
}
