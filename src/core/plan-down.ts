/**
 * What `down` reverts: applied versions newest-applied first (version order, unless files were applied out
 * of order), each with a rollback that really undoes something.
 */
import type { Catalog } from './catalog.js';
import { failValidation, PgshiftError, type Problem } from './errors.js';
import { ledgerProblems, newestAppliedFirst, type History } from './ledger-problems.js';
import { analyzeScript, type ScriptAnalysis } from './file-analysis.js';
import type { SqlFile } from './types.js';
import { checkPlanNumbers, missingFilePath, type PlanWords } from './wording.js';

export interface DownOptions extends PlanWords {
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

interface Applied {
  readonly version: number;
  readonly name: string;
}

export function planDown(catalog: Catalog, history: History, options: DownOptions): DownStep[] {
  checkPlanNumbers(options, options.wording);
  const problems = ledgerProblems(catalog, history, { ...options, checkOrder: false });
  const partial = new Set(history.progress.map((row) => row.version));
  const steps: DownStep[] = [];
  for (const applied of targetsOf(history, options)) {
    const rollback = catalog.rollbacks.get(applied.version);
    if (rollback) {
      const analysis = analyzeScript(rollback);
      steps.push({ version: applied.version, name: applied.name, rollback, analysis, partial: partial.has(applied.version) });
      problems.push(...analysis.problems, ...unwrittenRollback(rollback, analysis));
    } else {
      problems.push(rollbackMissing(applied, catalog, options));
    }
  }
  if (problems.length > 0) failValidation(problems);
  return steps;
}

/**
 * The applied versions (finished or partly) that the options name, newest-applied first. A partly applied
 * file goes where its last statement ran: before the rows applied earlier, after any applied since (one file
 * named with --migration, or files out of order), by the server's clock that stamped both.
 */
function targetsOf(history: History, options: DownOptions): Applied[] {
  const { wording } = options;
  const partial = [...history.progress].sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime() || b.version - a.version);
  const ledger = newestAppliedFirst(history.ledger);
  const newestFirst: Applied[] = [];
  while (partial.length > 0 || ledger.length > 0) {
    const [started, applied] = [partial[0], ledger[0]];
    const next = started && (!applied || started.updatedAt.getTime() >= applied.appliedAt.getTime()) ? partial.shift() : ledger.shift();
    newestFirst.push(next as Applied);
  }
  if (options.all) return newestFirst;
  if (options.to !== undefined) {
    const { to } = options;
    if (to !== 0 && !newestFirst.some((row) => row.version === to)) {
      const toOption = wording.option('to');
      throw new PgshiftError('USAGE', `${toOption} ${to}: version ${to} is not applied`, {
        hint: `pass an applied version to keep (${wording.command('status')} lists them); ${toOption} 0 reverts every version above 0, ${wording.option('all')} reverts everything`,
      });
    }
    return newestFirst.filter((row) => row.version > to);
  }
  return newestFirst.slice(0, options.steps ?? 1);
}

function rollbackMissing(applied: Applied, catalog: Catalog, words: PlanWords): Problem {
  const { wording } = words;
  return {
    code: 'ROLLBACK_MISSING',
    version: applied.version,
    message: `version ${applied.version} (${applied.name}) has no rollback file, so nothing was reverted`,
    hint: applied.version === 0
      ? `version 0 has no rollback on purpose: it creates what existed before pgshift, and reverting must never drop that. Revert everything above it with ${wording.command('down')} ${wording.option('to')} 0`
      : `write ${missingFilePath('rollback', applied.version, applied.name, catalog.rollbacks.values(), words)} that undoes it`,
  };
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
