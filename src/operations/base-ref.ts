/** `--base-ref`: the history of a database migrated from a git commit's files, for plans and traces made without one. */
import { resolve } from 'node:path';
import type { ResolvedOptions } from '../config/migrator-options.js';
import type { Catalog } from '../core/catalog.js';
import { PgshiftError } from '../core/errors.js';
import type { History } from '../core/ledger-problems.js';
import { historyAtRef } from '../core/ref-history.js';
import { folderAtRef } from '../io/git.js';

export async function historyAtBase(context: ResolvedOptions, catalog: Catalog, baseRef: string): Promise<History> {
  const flag = context.words.wording.option('base-ref');
  if (baseRef === '' || baseRef.startsWith('-')) {
    throw new PgshiftError('USAGE', `${flag} ${JSON.stringify(baseRef)} is not a git revision`, { hint: `name a branch, tag or commit, for example ${flag} origin/main` });
  }
  const atRef = await folderAtRef(resolve(context.dirs.cwd, context.dirs.migrationsDir), baseRef);
  if (atRef === undefined) {
    throw new PgshiftError('USAGE', `${flag} ${baseRef}: git knows no such commit in the repository holding ${context.dirs.migrationsDir}/`, {
      hint: 'fetch it first (a shallow clone lacks it: in GitHub Actions, actions/checkout with fetch-depth: 0), or name a branch, tag or commit git has',
    });
  }
  return historyAtRef(catalog, atRef);
}
