/** `validate`: every problem up would stop for, and script problems in every file, as data. */
import type { CallOptions } from '../migrator-types.js';
import type { ResolvedOptions } from '../config/migrator-options.js';
import type { Catalog } from '../core/catalog.js';
import { isPgshiftError, type Problem } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import type { Memo } from '../core/memo.js';
import { validationProblems, type History } from '../core/ledger-problems.js';
import { analyzeScript, type ScriptAnalysis } from '../core/file-analysis.js';
import type { ScriptFile, SqlFile } from '../core/types.js';
import { planRepeatables } from '../core/plan-repeatables.js';
import { checkSyntax } from '../lint/syntax.js';
import { readHistory } from './ledger-read.js';
import { needsSession } from './lock-scope.js';
import { catalogFor } from './files.js';
import { withRun } from './run.js';

export async function validate(context: ResolvedOptions, call: CallOptions): Promise<readonly Problem[]> {
  const catalog = await catalogFor(context);
  return withRun(context, { lock: false, writes: false, signal: call.signal }, async ({ session, table }) => {
    try {
      const history = (await readHistory(session, table)).rows;
      const pooled = context.lockScope === 'transaction' ? needsSession(pendingFiles(catalog, history)) : [];
      // Every repeatable file, changed or not, as a file it would run: none has a record to compare with here.
      const repeatables = planRepeatables(catalog, []);
      return [
        ...validationProblems(catalog, history, { ...context.words, outOfOrder: context.outOfOrder }),
        ...repeatables.problems,
        ...pooled,
        ...(await syntaxProblems(catalog, history, context.memo)),
      ];
    } catch (error) {
      if (isPgshiftError(error) && error.problems.length > 0) return error.problems;
      throw error;
    }
  });
}

/** What `validate` parses: every pending migration and every rollback (applied files ran already). */
async function syntaxProblems(catalog: Catalog, history: History, memo: Memo | undefined): Promise<Problem[]> {
  const files: ScriptFile[] = [...catalog.migrations.filter(pending(history)), ...catalog.rollbacks.values(), ...catalog.repeatables];
  return (await checkSyntax(files.map((file) => ({ file, analysis: analyzeScript(file) })), silentLogger, memo)).problems;
}

/** The migrations up would still run (a partly applied no-transaction file among them), read. */
function pendingFiles(catalog: Catalog, history: History): Array<{ file: SqlFile; analysis: ScriptAnalysis }> {
  return catalog.migrations.filter(pending(history)).map((file) => ({ file, analysis: analyzeScript(file) }));
}

function pending(history: History): (file: SqlFile) => boolean {
  const applied = new Set(history.ledger.map((row) => row.version));
  return (file) => !applied.has(file.version);
}
