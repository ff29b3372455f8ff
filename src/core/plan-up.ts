/** What `up` runs: the pending files, after every problem with them and the ledger has been ruled out. */
import type { Catalog } from './catalog.js';
import { defined } from './defined.js';
import { failValidation, PgshiftError } from './errors.js';
import { byVersion, ledgerProblems, resumeProblems, type History } from './ledger-problems.js';
import { analyzeScript, type ScriptAnalysis } from './file-analysis.js';
import type { ProgressRow, SqlFile } from './types.js';
import { checkPlanNumbers, type PlanWords } from './wording.js';

export interface UpOptions extends PlanWords {
  /** Stop after this version. */
  readonly to?: number;
  /** Apply only this file, even below the highest applied version. */
  readonly only?: SqlFile;
  /** All pending files in one transaction: refused when one of them cannot run in a transaction. */
  readonly singleTransaction?: boolean;
  /** Leave out pending files still marked -- pgshift:unwritten instead of refusing them (lint: nothing to check yet). */
  readonly skipUnwritten?: boolean;
  /** Apply pending files below the highest applied version, in version order, instead of refusing them. */
  readonly outOfOrder?: boolean;
}

export interface PlannedMigration {
  readonly file: SqlFile;
  readonly analysis: ScriptAnalysis;
  /** Set when a no-transaction file stopped partway: it resumes after the statements recorded here. */
  readonly progress?: ProgressRow;
}

export function planUp(catalog: Catalog, history: History, options: UpOptions): PlannedMigration[] {
  const { only, to, wording } = options;
  checkPlanNumbers(options, wording);
  const problems = ledgerProblems(catalog, history, { ...options, checkOrder: only === undefined });
  const partial = byVersion(history.progress);
  const applied = byVersion(history.ledger);
  if (to !== undefined && !catalog.migrations.some((file) => file.version === to)) {
    throw new PgshiftError('USAGE', `${wording.option('to')} ${to}: no migration has version ${to}`, {
      hint: `pass the version of an existing migration file (${wording.command('status')} lists them)`,
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
    problems.push(...analysis.problems, ...(progress ? resumeProblems(file, analysis, progress, options) : []));
    return [{ file, analysis, ...defined({ progress }) }];
  });
  if (problems.length > 0) failValidation(problems);
  const outside = options.singleTransaction ? planned.find((step) => !step.analysis.directives.transaction) : undefined;
  if (outside) {
    const single = wording.option('single-transaction');
    throw new PgshiftError('USAGE', `${single}: ${outside.file.path} is a no-transaction file, which cannot run inside one transaction`, {
      hint: `apply up to the version before it with ${single} ${wording.option('to')}, then run up without the flag`,
    });
  }
  return planned;
}
