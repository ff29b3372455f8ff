import type { FilesAtRef } from '../core/ref-history.js';

/**
 * What the ledger records as the commit each migration file was applied from: `<commit>` when the file is
 * committed and unchanged in HEAD, `<commit>+dirty` when it differs from HEAD (modified, staged or not),
 * nothing when HEAD does not have it (untracked, ignored, only staged) or there is no git. Keyed by the
 * file's name in the folder; a name not in the map is committed and unchanged.
 */
export interface FolderCommits {
  readonly head: string | undefined;
  /** Files that differ from HEAD: true when HEAD has the path (modified), false when it does not. */
  readonly changed: ReadonlyMap<string, boolean>;
  /** Folders (with a trailing slash, relative to the migrations folder) that git does not track at all. */
  readonly untrackedFolders: readonly string[];
}

const DIRTY_SUFFIX = '+dirty';

/** The commit to record for one file of the folder, as described on FolderCommits. */
export function commitOf(commits: FolderCommits, fileName: string): string | undefined {
  if (commits.head === undefined || commits.untrackedFolders.some((folder) => folder === '' || fileName.startsWith(folder))) return undefined;
  const inHead = commits.changed.get(fileName);
  if (inHead === undefined) return commits.head;
  return inHead ? `${commits.head}${DIRTY_SUFFIX}` : undefined;
}

const NO_GIT: FolderCommits = { head: undefined, changed: new Map(), untrackedFolders: [] };

/**
 * Two git processes for the whole folder, run side by side, however many files it holds: the folder's place
 * in the repository (status prints paths from the top) and one `git status` of the folder, whose header
 * carries HEAD's commit.
 */
export async function folderCommits(dir: string): Promise<FolderCommits> {
  const [prefix, status] = await Promise.all([
    git(dir, ['rev-parse', '--show-prefix']),
    // --no-optional-locks: status must not write the index, which runs side by side would contend for.
    git(dir, ['--no-optional-locks', '-c', 'status.relativePaths=false', 'status', '--porcelain=v2', '--branch', '-z', '--untracked-files=all', '--ignored=matching', '--', '.']),
  ]);
  if (prefix === undefined || status === undefined) return NO_GIT;
  return parseStatus(status, prefix.trim());
}

/** Reads `git status --porcelain=v2 --branch -z`, whose paths start at the top of the repository. */
export function parseStatus(output: string, prefix: string): FolderCommits {
  const changed = new Map<string, boolean>();
  const untrackedFolders: string[] = [];
  let head: string | undefined;
  const fields = output.split('\0');
  const inFolder = (path: string): string | undefined => (path.startsWith(prefix) ? path.slice(prefix.length) : undefined);
  for (let i = 0; i < fields.length; i++) {
    const entry = fields[i] as string;
    const kind = entry[0];
    if (entry.startsWith('# branch.oid ')) {
      const oid = entry.slice('# branch.oid '.length);
      head = /^[0-9a-f]{40,64}$/.test(oid) ? oid : undefined; // "(initial)" before the first commit
    } else if (kind === '?' || kind === '!') {
      const path = entry.slice(2);
      if (path.endsWith('/') && prefix.startsWith(path)) untrackedFolders.push('');
      const name = inFolder(path);
      if (name === undefined) continue;
      if (name.endsWith('/') || name === '') untrackedFolders.push(name);
      else changed.set(name, false);
    } else if (kind === '1' || kind === '2' || kind === 'u') {
      // 1: XY sub mH mI mW hH hI path; 2: ... X<score> path, then the original path; u: ... h1 h2 h3 path.
      const parts = entry.split(' ');
      const path = parts.slice({ 1: 8, 2: 9, u: 10 }[kind]).join(' ');
      const name = inFolder(path);
      // X is the index against HEAD: A (added) and R/C (renamed or copied to this path) mean HEAD lacks the path.
      if (name !== undefined) changed.set(name, !/^[ARC]/.test(parts[1] ?? ''));
      if (kind === '2') i++;
    }
  }
  return { head, changed, untrackedFolders };
}

export interface GitLimits {
  readonly timeoutMs: number;
  readonly maxBuffer: number;
}

const STATUS_LIMITS: GitLimits = { timeoutMs: 5000, maxBuffer: 64 * 1024 * 1024 };

/** A git command's stdout, or undefined when git is missing, fails, or the folder is not one git can enter. */
export async function git(cwd: string, args: readonly string[], limits: GitLimits = STATUS_LIMITS): Promise<string | undefined> {
  // Loaded here: a run with nothing to apply never asks git, and loading child_process costs every run.
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    try {
      execFile('git', args, { cwd, timeout: limits.timeoutMs, maxBuffer: limits.maxBuffer }, (error, stdout) => resolve(error ? undefined : stdout));
    } catch {
      // A cwd that is not a folder throws at spawn; the loader reports that folder with a proper message.
      resolve(undefined);
    }
  });
}

/** Why there is no folder at the commit: each has its own remedy. */
export type RefFailure = 'no-git' | 'not-a-repository' | 'no-commits' | 'unknown-ref';

/**
 * The folder at `ref` (`--base-ref`), compared with the files there now (`present`, their names): `ls-tree`
 * gives the commit's names and blob ids, `hash-object` the ids the present files would have (git's own
 * filters applied, so a checkout's line ends change nothing), and `show` the old text of each that differs.
 * A file changed in any way counts: edited, replaced by a link, or taken out of git but left on disk.
 */
export async function folderAtRef(dir: string, ref: string, present: readonly string[]): Promise<FilesAtRef | { readonly failure: RefFailure }> {
  if ((await git(dir, ['rev-parse', '--show-toplevel'])) === undefined) {
    return { failure: (await git(dir, ['--version'])) === undefined ? 'no-git' : 'not-a-repository' };
  }
  const commit = (await git(dir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]))?.trim();
  if (commit === undefined || commit === '') {
    return { failure: (await git(dir, ['rev-parse', '--verify', '--quiet', 'HEAD'])) === undefined ? 'no-commits' : 'unknown-ref' };
  }
  const listed = (await git(dir, ['ls-tree', '-z', commit, '--', '.'])) ?? '';
  const blobs = new Map<string, string>();
  for (const entry of listed.split('\0')) {
    const [meta, name] = entry.split('\t');
    const oid = meta?.split(' ')[2];
    if (name !== undefined && oid !== undefined && /\.sql$/i.test(name)) blobs.set(name, oid);
  }
  const kept = present.filter((name) => blobs.has(name));
  const now = new Map<string, string>();
  for (let start = 0; start < kept.length; start += 1000) {
    const batch = kept.slice(start, start + 1000);
    const ids = ((await git(dir, ['hash-object', '--', ...batch])) ?? '').split('\n');
    batch.forEach((name, index) => now.set(name, ids[index] ?? ''));
  }
  const before = new Map<string, Buffer>();
  for (const name of kept.filter((candidate) => now.get(candidate) !== blobs.get(candidate))) {
    const text = await git(dir, ['show', `${commit}:./${name}`]);
    if (text !== undefined) before.set(name, Buffer.from(text, 'utf8'));
  }
  return { names: new Set(blobs.keys()), before };
}
