/**
 * What is wrong with the files and the ledger taken together: drift, missing files, order, and partly
 * applied files edited since. Pure: no I/O, no clock, no driver.
 */
import type { Catalog } from './catalog.js';
import { defined } from './defined.js';
import type { Problem } from './errors.js';
import { lineColumnAt } from './position.js';
import { analyzeScript, statementHash, type ScriptAnalysis } from './file-analysis.js';
import type { LedgerRow, ProgressRow, SqlFile } from './types.js';
import { missingFilePath, type PlanWords } from './wording.js';

/** Problems an applied file is not held to: they matter only to a file that is still to run. */
const PENDING_ONLY: ReadonlySet<Problem['code']> = new Set(['DURATION_UNIT', 'MISPLACED_DIRECTIVE']);

/** What the database says has been done: finished migrations, and no-transaction files stopped partway. */
export interface History {
  readonly ledger: readonly LedgerRow[];
  readonly progress: readonly ProgressRow[];
}

/** Files or rows by version, built with a loop: new Map(rows.map(...)) builds an array per row, 10,000 of them. */
export function byVersion<T extends { readonly version: number }>(rows: readonly T[]): Map<number, T> {
  const map = new Map<number, T>();
  for (const row of rows) map.set(row.version, row);
  return map;
}

/** Ledger rows newest-applied first: the order `down` reverts them in. */
export function newestAppliedFirst<T extends { readonly appliedOrder: number }>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) => b.appliedOrder - a.appliedOrder);
}

/** How a plan treats pending files below the highest applied version. */
export interface OrderRule {
  /** false: not this plan's concern (down, drift, one file named on purpose). Default true. */
  readonly checkOrder?: boolean;
  /** The project allows them: they are applied, in version order, by the next up. */
  readonly outOfOrder?: boolean;
}

/** Problems of the files themselves and of the ledger against them: drift, missing files, order. */
export function ledgerProblems(catalog: Catalog, { ledger, progress }: History, words: PlanWords & OrderRule): Problem[] {
  const { wording } = words;
  const problems = [...catalog.problems];
  const files = byVersion(catalog.migrations);
  const missing = (row: { version: number; name: string }): string => missingFilePath('migration', row.version, row.name, catalog.migrations, words);
  for (const row of progress) {
    if (!files.has(row.version)) {
      problems.push({
        code: 'MIGRATION_MISSING',
        version: row.version,
        message: `version ${row.version} (${row.name}) is partly applied (${row.statementHashes.length} of ${row.statementCount} statements) but no migration file has that version`,
        hint: `restore ${missing(row)} to finish it with up, or revert what it did with down`,
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
        hint: `restore ${missing(row)} from version control; pgshift will not run against history it cannot see`,
      });
    } else if (file.checksum !== row.checksum) {
      problems.push({
        code: 'CHECKSUM_MISMATCH',
        file: file.path,
        version: row.version,
        message: `${file.path} was applied with checksum ${row.checksum.slice(0, 12)}… but now hashes to ${file.checksum.slice(0, 12)}…`,
        hint: `an applied migration must not change: restore it (git checkout) and put the change in a new migration; if only comments or whitespace changed, record the file as it is with ${wording.command('repair')}`,
      });
    }
  }
  const highest = [...ledger, ...progress].reduce<{ version: number; name: string } | undefined>((top, row) => (top && top.version > row.version ? top : row), undefined);
  if ((words.checkOrder ?? true) && words.outOfOrder !== true && highest) {
    for (const file of outOfOrderFiles(catalog, { ledger, progress })) {
      problems.push({
        code: 'OUT_OF_ORDER',
        file: file.path,
        version: file.version,
        message: `${file.path} is pending but version ${highest.version} (${highest.name}) is already ${highestApplied?.version === highest.version ? 'applied' : 'partly applied'}`,
        hint: `renumber it above ${highest.version}, apply it on purpose with ${wording.command('up')} ${wording.option('migration')} ${file.path}, or let up apply files merged out of order with ${wording.option('allow-out-of-order')}`,
      });
    }
  }
  return problems;
}

/**
 * Pending files numbered below the highest version applied or partly applied: merged after a higher one
 * ran. A partly applied file is not one of them: it has started, and up finishes it.
 */
export function outOfOrderFiles(catalog: Catalog, { ledger, progress }: History): SqlFile[] {
  let highest = -1;
  for (const row of [...ledger, ...progress]) highest = Math.max(highest, row.version);
  const started = new Set([...ledger, ...progress].map((row) => row.version));
  return catalog.migrations.filter((file) => file.version < highest && !started.has(file.version));
}

/** Everything `validate` reports: ledger problems plus script problems in every file. */
export function validationProblems(catalog: Catalog, history: History, words: PlanWords & OrderRule): Problem[] {
  const partial = byVersion(history.progress);
  const applied = byVersion(history.ledger);
  return [
    ...ledgerProblems(catalog, history, words),
    ...catalog.migrations.flatMap((file) => {
      const analysis = analyzeScript(file);
      const progress = partial.get(file.version);
      // An applied file ran as it was and never runs again: only pending files need units on their durations,
      // and their directives where they are read.
      const held = applied.has(file.version) ? analysis.problems.filter((problem) => !PENDING_ONLY.has(problem.code)) : analysis.problems;
      return [...held, ...(progress ? resumeProblems(file, analysis, progress, words) : [])];
    }),
    ...[...catalog.rollbacks.values()].flatMap((file) => analyzeScript(file).problems),
  ];
}

/**
 * A partly applied file may be fixed from the failed statement on, but what already ran must not change:
 * resuming would otherwise record statements that never ran.
 */
export function resumeProblems(file: SqlFile, analysis: ScriptAnalysis, progress: ProgressRow, { wording }: PlanWords): Problem[] {
  const done = progress.statementHashes.length;
  const problem = (message: string, line?: number): Problem => ({
    code: 'PARTIAL_CHANGED',
    file: file.path,
    version: file.version,
    ...defined({ line }),
    message: `${file.path}${line === undefined ? '' : `:${line}`}: ${message}`,
    hint: `statements 1-${done} have already run and must stay as they were; put changes in the failed statement or later ones, or revert with ${wording.command('down')} and start over`,
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
