/** `--base-ref`: the history of a database migrated from a git commit's files, for plans and traces made without one. */
import { basename, resolve } from 'node:path';
import type { ResolvedOptions } from '../config/migrator-options.js';
import type { Catalog } from '../core/catalog.js';
import { PgshiftError } from '../core/errors.js';
import type { History } from '../core/ledger-problems.js';
import type { RepeatRecord } from '../core/plan-repeatables.js';
import { historyAtRef } from '../core/ref-history.js';
import { folderAtRef, type RefFailure } from '../io/git.js';

export async function historyAtBase(context: ResolvedOptions, catalog: Catalog, baseRef: string): Promise<History> {
  const flag = context.words.wording.option('base-ref');
  if (baseRef === '' || baseRef.startsWith('-')) {
    throw new PgshiftError('USAGE', `${flag} ${JSON.stringify(baseRef)} is not a git revision`, { hint: `name a branch, tag or commit, for example ${flag} origin/main` });
  }
  const folder = context.dirs.migrationsDir;
  const atRef = await folderAtRef(resolve(context.dirs.cwd, folder), baseRef, catalog.migrations.map((file) => basename(file.path)));
  if ('failure' in atRef) {
    const [why, hint] = FAILURES[atRef.failure];
    throw new PgshiftError('USAGE', `${flag} ${baseRef}: ${why.replace('FOLDER', `${folder}/`)}`, { hint });
  }
  return historyAtRef(catalog, atRef);
}

/**
 * What a database migrated from the commit records of the repeatable files: each file the commit has, as it
 * is there; so the files added or changed since are the ones up would run. No folder, no record.
 */
export async function repeatsAtBase(context: ResolvedOptions, catalog: Catalog, baseRef: string): Promise<RepeatRecord[]> {
  if (catalog.repeatables.length === 0 || context.dirs.repeatableDir === undefined) return [];
  const atRef = await folderAtRef(resolve(context.dirs.cwd, context.dirs.repeatableDir), baseRef, catalog.repeatables.map((file) => basename(file.path)));
  if ('failure' in atRef) return [];
  const unchanged = catalog.repeatables.filter((file) => atRef.names.has(basename(file.path)) && !atRef.before.has(basename(file.path)));
  return unchanged.map((file) => ({ name: file.name, checksum: file.checksum, appliedAt: new Date(0), executionMs: 0 }));
}

const FAILURES: Readonly<Record<RefFailure, readonly [string, string]>> = {
  'no-git': ['git is not installed (or not on PATH)', 'install git: the review compares the files with a commit of their repository'],
  'not-a-repository': ['FOLDER is not in a git repository', 'run it in a clone of the repository, or review against a database instead (without --base-ref)'],
  'no-commits': ['the repository has no commits yet', 'commit the files the database already has, then review what comes after against that commit'],
  'unknown-ref': [
    'git knows no such commit in the repository holding FOLDER',
    'fetch it first (a shallow clone lacks it: in GitHub Actions, actions/checkout with fetch-depth: 0), or name a branch, tag or commit git has',
  ],
};
