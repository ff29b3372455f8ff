/**
 * The parse cache as the checks before a run see it: for each file (its text, path and kind) the outcome of
 * PostgreSQL's parser and lint's findings before the project's configuration. A run whose files are all
 * known never loads the parser. What is kept is an outcome, not a tree: commands that need the tree parse.
 * The configuration is applied after, on every run: changing it needs no new parse.
 */
import { createHash } from 'node:crypto';
import type { SqlFile } from '../core/types.js';
import type { FileLint } from './file-lint.js';
import type { FileParse } from './parse.js';
import { RULE_IDS } from './rules/index.js';

/** What the parser said of a file: fine, refused at a place, or too large to parse. */
export type SyntaxOutcome = { readonly ok: true } | { readonly error: string; readonly at: number } | { readonly tooLargeMb: number };

export function syntaxOf(parsed: FileParse): SyntaxOutcome {
  return 'statements' in parsed ? { ok: true } : parsed;
}

export interface CheckCache {
  syntax(file: SqlFile): SyntaxOutcome | undefined;
  lint(file: SqlFile): FileLint | undefined;
  remember(file: SqlFile, syntax: SyntaxOutcome, lint?: FileLint): void;
}

interface Entry {
  readonly syntax: SyntaxOutcome;
  readonly lint?: FileLint;
}

/** Where entries are kept: the parse cache's file (io/parse-cache.ts), read and written by the caller. */
export interface EntryStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

export function checkCache(store: EntryStore): CheckCache {
  const entry = (file: SqlFile): Entry | undefined => {
    const value = store.get(keyOf(file));
    return isEntry(value) ? value : undefined;
  };
  return {
    syntax: (file) => entry(file)?.syntax,
    lint: (file) => entry(file)?.lint,
    remember: (file, syntax, lint) => store.set(keyOf(file), lint === undefined ? { syntax } : { syntax, lint }),
  };
}

/** Findings name the file, and rules depend on its kind (a migration or a rollback) and its text. */
function keyOf(file: SqlFile): string {
  return createHash('sha256').update(`${file.kind}\0${file.path}\0${file.checksum}`).digest('hex').slice(0, 32);
}

const RULES: ReadonlySet<string> = new Set(RULE_IDS);
const PROBLEM_CODES: ReadonlySet<string> = new Set(['LINT_SUPPRESSION', 'SYNTAX_ERROR', 'LINT_SKIPPED']);

/** A hand-edited or damaged entry is a miss, never an outcome. */
function isEntry(value: unknown): value is Entry {
  if (!isObject(value) || !isSyntax(value['syntax'])) return false;
  return value['lint'] === undefined || isLint(value['lint']);
}

function isSyntax(value: unknown): value is SyntaxOutcome {
  if (!isObject(value)) return false;
  return value['ok'] === true || (typeof value['error'] === 'string' && isIndex(value['at'])) || typeof value['tooLargeMb'] === 'number';
}

function isLint(value: unknown): value is FileLint {
  if (!isObject(value) || !Array.isArray(value['findings']) || !Array.isArray(value['problems'])) return false;
  const findingsOk = value['findings'].every((f: unknown) => isObject(f) && RULES.has(f['rule'] as string) && isIndex(f['at']) && typeof f['message'] === 'string');
  const problemsOk = value['problems'].every(
    (p: unknown) => isObject(p) && PROBLEM_CODES.has(p['code'] as string) && isIndex(p['at']) && typeof p['message'] === 'string' && typeof p['hint'] === 'string',
  );
  return findingsOk && problemsOk;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isIndex(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= 0;
}
