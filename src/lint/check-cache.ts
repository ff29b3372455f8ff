/**
 * The parse cache as the checks before a run see it: for each file (its text, path and kind) the outcome of
 * PostgreSQL's parser and lint's findings before the project's configuration. A run whose files are all
 * known never loads the parser. What is kept is an outcome, not a tree: commands that need the tree parse.
 * The configuration is applied after, on every run: changing it needs no new parse.
 */
import { createHash } from 'node:crypto';
import type { ScriptFile } from '../core/types.js';
import type { FileLint } from './file-lint.js';
import type { FileParse } from './parse.js';
import { isIndex, isObject } from './shape.js';

/** What the parser said of a file: fine, refused at a place, or too large to parse. */
export type SyntaxOutcome = { readonly ok: true } | { readonly error: string; readonly at: number } | { readonly tooLargeMb: number };

export function syntaxOf(parsed: FileParse): SyntaxOutcome {
  return 'statements' in parsed ? { ok: true } : parsed;
}

export interface CheckCache {
  syntax(file: ScriptFile): SyntaxOutcome | undefined;
  /** The file's lint as stored, for lint to check (isFileLint): this module does not load the rules. */
  storedLint(file: ScriptFile): unknown;
  remember(file: ScriptFile, syntax: SyntaxOutcome, lint?: FileLint): void;
}

interface Entry {
  readonly syntax: SyntaxOutcome;
  readonly lint?: unknown;
}

/** Where entries are kept: the parse cache's file (io/parse-cache.ts), read and written by the caller. */
export interface EntryStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

export function checkCache(store: EntryStore): CheckCache {
  const entry = (file: ScriptFile): Entry | undefined => {
    const value = store.get(keyOf(file));
    return isEntry(value) && insideFile(value, file.text.length) ? value : undefined;
  };
  return {
    syntax: (file) => entry(file)?.syntax,
    storedLint: (file) => entry(file)?.lint,
    remember: (file, syntax, lint) => store.set(keyOf(file), lint === undefined ? { syntax } : { syntax, lint }),
  };
}

/** Findings name the file, and rules depend on its kind (a migration or a rollback) and its text. */
function keyOf(file: ScriptFile): string {
  return createHash('sha256').update(`${file.kind}\0${file.path}\0${file.checksum}`).digest('hex').slice(0, 32);
}

/** A hand-edited or damaged entry is a miss, never an outcome. */
function isEntry(value: unknown): value is Entry {
  return isObject(value) && isSyntax(value['syntax']);
}

function isSyntax(value: unknown): value is SyntaxOutcome {
  if (!isObject(value)) return false;
  return value['ok'] === true || (typeof value['error'] === 'string' && isIndex(value['at'])) || typeof value['tooLargeMb'] === 'number';
}

/** An entry that places an error or a finding past the end of its file was not made from that text: a miss. */
function insideFile(entry: Entry, length: number): boolean {
  const lint = isObject(entry.lint) ? entry.lint : {};
  const places = [entry.syntax, ...[lint['findings'], lint['problems']].flatMap((list) => (Array.isArray(list) ? (list as unknown[]) : []))];
  return places.every((place) => !isObject(place) || typeof place['at'] !== 'number' || place['at'] <= length);
}
