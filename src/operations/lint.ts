/** `lint`: named files on their own, or the pending migrations and every rollback (which needs the ledger). */
import { resolve } from 'node:path';
import type { LintOptions } from '../migrator-types.js';
import type { ResolvedOptions } from '../config/migrator-options.js';
import { buildCatalog } from '../core/catalog.js';
import { failValidation } from '../core/errors.js';
import { analyzeScript } from '../core/file-analysis.js';
import { loadCatalog, loadSingleFile } from '../io/loader.js';
import { readLintConfig } from '../lint/config.js';
import { lintFiles, type LintConfig, type LintResult } from '../lint/lint.js';
import { refuseUnrunnable } from './files.js';
import { prepareUp, repeatablesToRun } from './history.js';
import { withRun } from './run.js';
import type { FileKind } from '../core/types.js';
import { DEFAULTS } from '../config/defaults.js';

export async function lint(context: ResolvedOptions, call: LintOptions): Promise<LintResult> {
  const config = await readLintConfig(context.cwd);
  if (call.paths && call.paths.length > 0) return lintPaths(context, call.paths, config);
  const catalog = await loadCatalog(context.dirs);
  return withRun(context, { lock: false, writes: false, signal: call.signal }, async (run) => {
    const { planned } = await prepareUp(context, run, catalog, { skipUnwritten: true });
    // The repeatable files up would run: new ones and those changed since they last ran.
    const repeatables = await repeatablesToRun(catalog, run);
    const rollbacks = [...catalog.rollbacks.values()].map((file) => ({ file, analysis: analyzeScript(file) }));
    refuseUnrunnable(rollbacks);
    return lintFiles([...planned, ...repeatables.planned, ...rollbacks], config);
  });
}

async function lintPaths({ cwd, dirs }: ResolvedOptions, paths: readonly string[], config: LintConfig): Promise<LintResult> {
  const [rollbacks, repeatables] = [dirs.rollbacksDir, dirs.repeatableDir ?? DEFAULTS.repeatableDir].map((dir) => `${resolve(cwd, dir)}/`) as [string, string];
  const kindOf = (path: string): FileKind => (resolve(cwd, path).startsWith(rollbacks) ? 'rollback' : resolve(cwd, path).startsWith(repeatables) ? 'repeatable' : 'migration');
  const raw = await Promise.all(paths.map((path) => loadSingleFile(dirs, path, kindOf(path))));
  const catalog = buildCatalog(raw);
  // Files named one by one need not come in pairs.
  const problems = catalog.problems.filter((problem) => problem.code !== 'ORPHAN_ROLLBACK');
  if (problems.length > 0) failValidation(problems);
  const files = [...catalog.migrations, ...catalog.rollbacks.values(), ...catalog.repeatables].map((file) => ({ file, analysis: analyzeScript(file) }));
  refuseUnrunnable(files);
  return lintFiles(files, config);
}
