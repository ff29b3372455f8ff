/** `validate`: every problem up would stop for, and script problems in every file, as data. */
import type { CallOptions } from '../migrator-types.js';
import type { ResolvedOptions } from '../config/migrator-options.js';
import type { Catalog } from '../core/catalog.js';
import { isPgshiftError, type Problem } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { validationProblems, type History } from '../core/ledger-problems.js';
import { analyzeScript } from '../core/file-analysis.js';
import { loadCatalog } from '../io/loader.js';
import { checkSyntax } from '../lint/syntax.js';
import { readHistory } from './history.js';
import { withRun } from './run.js';

export async function validate(context: ResolvedOptions, call: CallOptions): Promise<readonly Problem[]> {
  const catalog = await loadCatalog(context.dirs);
  return withRun(context, { lock: false, writes: false, signal: call.signal }, async ({ session, table }) => {
    try {
      const history = (await readHistory(session, table)).rows;
      return [...validationProblems(catalog, history, context.words), ...(await syntaxProblems(catalog, history))];
    } catch (error) {
      if (isPgshiftError(error) && error.problems.length > 0) return error.problems;
      throw error;
    }
  });
}

/** What `validate` parses: every pending migration and every rollback (applied files ran already). */
async function syntaxProblems(catalog: Catalog, history: History): Promise<Problem[]> {
  const applied = new Set(history.ledger.map((row) => row.version));
  const files = [...catalog.migrations.filter((file) => !applied.has(file.version)), ...catalog.rollbacks.values()];
  return (await checkSyntax(files.map((file) => ({ file, analysis: analyzeScript(file) })), silentLogger)).problems;
}
