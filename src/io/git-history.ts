/**
 * A migration file as git has it at a recorded commit, and git's diff from there to the file on disk: how
 * `repair` shows what changed in an applied file. Both answer undefined when git cannot (no checkout, no
 * such commit, no such file at it); they never throw.
 */
import { basename, dirname } from 'node:path';
import { git } from './git.js';

/** A commit id as pgshift records it; anything else is never passed to git, which would read it as an option. */
const COMMIT = /^[0-9a-f]{7,64}$/;

/** The file's text at `commit`, from `git show commit:./name` in the file's folder. */
export function fileAtCommit(path: string, commit: string): Promise<string | undefined> {
  return gitAt(path, commit, ['show', `${commit}:./${basename(path)}`]);
}

/** git's unified diff from the file at `commit` to the file on disk, without colours or external tools. */
export function diffSinceCommit(path: string, commit: string): Promise<string | undefined> {
  return gitAt(path, commit, ['diff', '--no-color', '--no-ext-diff', commit, '--', basename(path)]);
}

/** A file's history can be large: a bulk-data migration's text comes through stdout whole. */
const HISTORY_LIMITS = { timeoutMs: 10_000, maxBuffer: 512 * 1024 * 1024 };

function gitAt(path: string, commit: string, args: readonly string[]): Promise<string | undefined> {
  if (!COMMIT.test(commit)) return Promise.resolve(undefined);
  return git(dirname(path), args, HISTORY_LIMITS);
}
