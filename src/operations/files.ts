/** The migration files an operation works on: read, checked, and for a run that writes, with their commits. */
import { basename, dirname, relative, resolve } from 'node:path';
import { buildCatalog, type Catalog } from '../core/catalog.js';
import { failValidation, PgshiftError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { shared, type Memo } from '../core/memo.js';
import { timed } from '../core/timings.js';
import type { ResolvedOptions } from '../config/migrator-options.js';
import type { ScriptAnalysis } from '../core/file-analysis.js';
import type { ScriptFile, SqlFile } from '../core/types.js';
import { commitOf, folderCommits, type FolderCommits } from '../io/git.js';
import { loadCatalog, loadSingleFile, type Directories } from '../io/loader.js';
import type { CheckCache } from '../lint/check-cache.js';
import { checkSyntax, type CheckedFile } from '../lint/syntax.js';
import { readHistory, type HistoryRead } from './ledger-read.js';
import { withRun, type Run, type RunNeeds } from './run.js';

/**
 * The files of a run that may record migrations, each carrying the commit its ledger row will name; git
 * runs while the files are read.
 */
export async function loadForWrite(context: ResolvedOptions): Promise<Catalog> {
  const [catalog, commits] = await Promise.all([catalogFor(context), commitsFor(context)]);
  return { ...catalog, migrations: catalog.migrations.map((file) => withCommit(file, commits)) };
}

/** The commit a migration's ledger row will name, from the folder's git status. */
export function withCommit<T extends ScriptFile>(file: T, commits: FolderCommits): T {
  const commit = commitOf(commits, basename(file.path));
  return commit === undefined ? file : { ...file, gitCommit: commit };
}

/** The migration and rollback files, read once for all the targets of a many-database run. */
export function catalogFor(context: ResolvedOptions): Promise<Catalog> {
  return shared(context.memo, 'catalog', () => timed('read and hash files', () => loadCatalog(context.dirs)));
}

/**
 * The folder's git status, asked once for all the targets of a many-database run. Only a run with something
 * to apply asks: a git process costs a no-op run more than its queries do.
 */
export function commitsFor(context: ResolvedOptions): Promise<FolderCommits> {
  return shared(context.memo, 'git', () => folderCommits(resolve(context.dirs.cwd, context.dirs.migrationsDir)));
}

/**
 * `work` with the migration and rollback files, a Run, and the ledger's first read: the files are read while
 * the session connects, and the ledger while the files still are (every command given files reads it first):
 * the server's work and the round trip to a distant server overlap the reading. Files that cannot be read
 * still fail the command as they did when they were read first: their error is the one reported, and the
 * connection attempt is abandoned at once rather than waited out. A command that writes refuses to run while a
 * file has a problem of its own (a bad name, invalid UTF-8), whatever the ledger holds: when the server is not
 * up yet, --wait stops there with those problems rather than waiting out its time to say only that the server
 * was down.
 */
export async function withFiles<T>(
  context: ResolvedOptions,
  needs: RunNeeds,
  work: (catalog: Catalog, run: Run, history: Promise<HistoryRead>) => Promise<T>,
): Promise<T> {
  const unread = new AbortController();
  const reading = catalogFor(context);
  reading.catch(() => unread.abort());
  const signal = needs.signal === undefined ? unread.signal : AbortSignal.any([needs.signal, unread.signal]);
  const filesRefused = async (): Promise<void> => {
    const { problems } = await reading;
    if (problems.length > 0) failValidation(problems);
  };
  try {
    // An embedded server costs an initdb or a start, against the files' few milliseconds: files that cannot be
    // read (no migrations folder here) fail first, with nothing made for them.
    if ('embedded' in context.target) await reading;
    return await withRun(context, { ...needs, signal, ...(needs.writes ? { beforeRetry: filesRefused } : {}) }, async (run) => {
      const history = readHistory(run.session, run.table);
      // Seen by work, or dropped with the files' own error, which comes first as before.
      history.catch(() => undefined);
      return work(await reading, run, history);
    });
  } catch (error) {
    await reading;
    throw error;
  }
}

/**
 * What up or down would refuse in these files (BEGIN in one, a misplaced or unknown directive) stops a command
 * that only reads them (lint, verify's rollbacks) the same way, as validate reports it: a file must not pass
 * there and then be refused by the run. A template still unwritten is not: nothing can be said of it yet.
 */
export function refuseUnrunnable(files: ReadonlyArray<{ readonly analysis: ScriptAnalysis }>): void {
  const problems = files.flatMap(({ analysis }) => analysis.problems.filter((problem) => problem.code !== 'UNWRITTEN'));
  if (problems.length > 0) failValidation(problems);
}

/** Parses the files a command would run; a parse error stops it with nothing run. */
export async function parsedOrFail(files: ReadonlyArray<{ file: ScriptFile; analysis: ScriptAnalysis }>, logger: Logger, memo?: Memo, cache?: CheckCache): Promise<CheckedFile[]> {
  const { checked, problems } = await checkSyntax(files, logger, memo, cache);
  if (problems.length > 0) failValidation(problems);
  return checked;
}

/**
 * `--migration PATH` must name a file in the migrations folder: the ledger records only its version and
 * name, and every later run looks for that file there (MIGRATION_MISSING otherwise, with no way out).
 */
export async function loadOnly(dirs: Directories, path: string): Promise<SqlFile> {
  const folder = resolve(dirs.cwd, dirs.migrationsDir);
  const inFolder = dirname(resolve(dirs.cwd, path));
  if (inFolder !== folder) {
    throw new PgshiftError('OUTSIDE_MIGRATIONS', `--migration ${path}: the file is not in the migrations folder ${dirs.migrationsDir}`, {
      hint: `move it into ${dirs.migrationsDir}/, or if ${relative(dirs.cwd, inFolder) || '.'} is where your migrations live, pass --migrations-dir ${relative(dirs.cwd, inFolder) || '.'} (and --rollbacks-dir for their rollbacks) to every command`,
    });
  }
  const catalog: Catalog = buildCatalog([await loadSingleFile(dirs, path, 'migration')]);
  if (catalog.problems.length > 0) failValidation(catalog.problems);
  return catalog.migrations[0] as SqlFile;
}
