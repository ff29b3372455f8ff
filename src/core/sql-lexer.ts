/**
 * A lexer that finds statement boundaries in a PostgreSQL script the way psql does: semicolons inside
 * strings ('', E'' with backslash escapes), quoted identifiers, $tag$ dollar quotes, -- and nested
 * block comments, parentheses, and CREATE FUNCTION ... BEGIN ATOMIC ... END bodies do not end a statement.
 * It reads text only; it never decides what a statement means beyond its leading words.
 */

export interface ScannedStatement {
  /** Index of the statement's first character (after whitespace and comments). */
  readonly start: number;
  /** Index just past its last character, not counting the terminating semicolon. */
  readonly end: number;
  /** Up to the first eight bare words outside parentheses, lower-cased: enough to classify it. */
  readonly words: readonly string[];
}

export type Unterminated = 'string' | 'quoted identifier' | 'dollar-quoted string' | 'block comment';

export interface ScanResult {
  readonly statements: readonly ScannedStatement[];
  /** Comments before the first statement, without their markers: the place for directives. */
  readonly leadingComments: readonly string[];
  /** Index of the first psql meta-command (a backslash outside any quote), which the server cannot run. */
  readonly metaCommandAt?: number;
  /** Index of a COPY ... FROM STDIN statement, whose data lines only psql knows how to send. Scanning stops there. */
  readonly copyFromStdinAt?: number;
  /** A construct still open at the end of the text, and where it opened. */
  readonly unterminated?: { readonly kind: Unterminated; readonly at: number };
}

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;
/** Numbers and what may trail them (1.5e10, 0x1F): consumed whole so that they never read as words. */
const NUMBER = /[0-9][0-9A-Za-z_.]*/y;
const MAX_WORDS = 8;

export function scanSql(text: string): ScanResult {
  const statements: ScannedStatement[] = [];
  const leadingComments: string[] = [];
  let metaCommandAt: number | undefined;
  let unterminated: ScanResult['unterminated'];

  let start = -1;
  let end = -1;
  let words: string[] = [];
  let parenDepth = 0;
  // psql's heuristic: inside CREATE [OR REPLACE] FUNCTION|PROCEDURE, BEGIN (and CASE within it) opens a
  // block that END closes, and semicolons inside that block belong to the function body.
  let beginDepth = 0;
  let wordCount = 0;
  let functionShape = '';
  // E'...' is the one string form where a backslash escapes the next character.
  let lastWordStart = -1;
  let lastWordEnd = -1;

  const touch = (at: number, to: number): void => {
    if (start === -1) start = at;
    end = to;
  };
  const finish = (): ScannedStatement | undefined => {
    if (start === -1) return undefined;
    const statement = { start, end, words };
    statements.push(statement);
    start = -1;
    words = [];
    parenDepth = 0;
    beginDepth = 0;
    wordCount = 0;
    functionShape = '';
    return statement;
  };

  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    const next = text[i + 1];

    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
      i++;
    } else if (c === '-' && next === '-') {
      const newline = text.indexOf('\n', i);
      const stop = newline === -1 ? text.length : newline;
      if (start === -1 && statements.length === 0) leadingComments.push(text.slice(i + 2, stop));
      i = stop;
    } else if (c === '/' && next === '*') {
      const stop = skipBlockComment(text, i);
      if (stop === -1) {
        unterminated = { kind: 'block comment', at: i };
        break;
      }
      if (start === -1 && statements.length === 0) leadingComments.push(text.slice(i + 2, stop - 2));
      i = stop;
    } else if (c === "'") {
      const escapes = lastWordEnd === i && lastWordStart === i - 1 && (text[i - 1] === 'e' || text[i - 1] === 'E');
      const stop = skipString(text, i, escapes);
      if (stop === -1) {
        unterminated = { kind: 'string', at: i };
        break;
      }
      touch(i, stop);
      i = stop;
    } else if (c === '"') {
      const stop = skipQuoted(text, i, '"');
      if (stop === -1) {
        unterminated = { kind: 'quoted identifier', at: i };
        break;
      }
      touch(i, stop);
      i = stop;
    } else if (c === '$' && (DOLLAR_TAG.lastIndex = i, DOLLAR_TAG.test(text))) {
      const tag = text.slice(i, DOLLAR_TAG.lastIndex);
      const close = text.indexOf(tag, DOLLAR_TAG.lastIndex);
      if (close === -1) {
        unterminated = { kind: 'dollar-quoted string', at: i };
        break;
      }
      touch(i, close + tag.length);
      i = close + tag.length;
    } else if (WORD_START.test(c)) {
      let stop = i + 1;
      while (stop < text.length && WORD_PART.test(text[stop] as string)) stop++;
      const word = text.slice(i, stop).toLowerCase();
      touch(i, stop);
      lastWordStart = i;
      lastWordEnd = stop;
      if (parenDepth === 0 && words.length < MAX_WORDS) words.push(word);
      if (wordCount < 4) functionShape += FUNCTION_SHAPE_LETTERS[word] ?? '-';
      wordCount++;
      if (parenDepth === 0 && DEFINES_ROUTINE.test(functionShape)) {
        if (word === 'begin') beginDepth++;
        else if (word === 'case' && beginDepth > 0) beginDepth++;
        else if (word === 'end' && beginDepth > 0) beginDepth--;
      }
      i = stop;
    } else if (c >= '0' && c <= '9') {
      NUMBER.lastIndex = i;
      NUMBER.test(text);
      touch(i, NUMBER.lastIndex);
      i = NUMBER.lastIndex;
    } else if (c === ';' && parenDepth === 0 && beginDepth === 0) {
      const statement = finish();
      i++;
      if (statement && isCopyFromStdin(statement.words)) {
        return { statements, leadingComments, copyFromStdinAt: statement.start, ...optional(metaCommandAt) };
      }
    } else if (c === '\\') {
      if (metaCommandAt === undefined) metaCommandAt = i;
      const newline = text.indexOf('\n', i);
      i = newline === -1 ? text.length : newline;
    } else {
      if (c === '(') parenDepth++;
      else if (c === ')' && parenDepth > 0) parenDepth--;
      touch(i, i + 1);
      i++;
    }
  }
  const last = finish();
  const copyFromStdinAt = last && isCopyFromStdin(last.words) ? last.start : undefined;
  return {
    statements,
    leadingComments,
    ...optional(metaCommandAt),
    ...(copyFromStdinAt === undefined ? {} : { copyFromStdinAt }),
    ...(unterminated === undefined ? {} : { unterminated }),
  };
}

/**
 * The text's tokens with comments and whitespace left out: two texts with the same tokens differ only in
 * comments and layout. A string, quoted identifier or dollar-quoted body is one token kept as written (so a
 * comment inside a function body counts as a change), a run of operator characters is one token, and an
 * unterminated construct takes the rest of the text. Case is kept: `create` and `CREATE` differ.
 */
export function sqlTokens(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const stop = tokenEnd(text, i, tokens.at(-1));
    if (stop < 0) {
      i = -stop;
      continue;
    }
    tokens.push(text.slice(i, stop));
    i = stop;
  }
  return tokens;
}

const OPERATOR = /[+\-*/<>=~!@#%^&|`?]/;

/** Where the token at `i` ends; for whitespace or a comment, minus where it ends (nothing to keep). */
function tokenEnd(text: string, i: number, previous: string | undefined): number {
  const c = text[i] as string;
  const next = text[i + 1];
  const orEnd = (stop: number): number => (stop === -1 ? text.length : stop);
  if (/\s/.test(c)) return -(i + 1);
  if (c === '-' && next === '-') return -orEnd(text.indexOf('\n', i));
  if (c === '/' && next === '*') return -orEnd(skipBlockComment(text, i));
  if (c === "'") return orEnd(skipString(text, i, (previous === 'e' || previous === 'E') && text[i - 1] === previous));
  if (c === '"') return orEnd(skipQuoted(text, i, '"'));
  DOLLAR_TAG.lastIndex = i;
  if (c === '$' && DOLLAR_TAG.test(text)) {
    const tag = text.slice(i, DOLLAR_TAG.lastIndex);
    const close = text.indexOf(tag, DOLLAR_TAG.lastIndex);
    return close === -1 ? text.length : close + tag.length;
  }
  if (c >= '0' && c <= '9') {
    NUMBER.lastIndex = i;
    NUMBER.test(text);
    return NUMBER.lastIndex;
  }
  let stop = i + 1;
  if (WORD_START.test(c)) {
    while (stop < text.length && WORD_PART.test(text[stop] as string)) stop++;
  } else if (OPERATOR.test(c)) {
    // As in PostgreSQL's lexer, a comment start ends an operator.
    while (stop < text.length && OPERATOR.test(text[stop] as string) && !/^(--|\/\*)/.test(text.slice(stop, stop + 2))) stop++;
  }
  return stop;
}

/** The letters psql records for the first four words, to recognise CREATE [OR REPLACE] FUNCTION|PROCEDURE. */
const FUNCTION_SHAPE_LETTERS: Readonly<Record<string, string>> = {
  create: 'c',
  or: 'o',
  replace: 'r',
  function: 'f',
  procedure: 'p',
};
const DEFINES_ROUTINE = /^c(?:[fp]|or[fp])/;

function optional(metaCommandAt: number | undefined): { metaCommandAt?: number } {
  return metaCommandAt === undefined ? {} : { metaCommandAt };
}

function isCopyFromStdin(words: readonly string[]): boolean {
  if (words[0] !== 'copy') return false;
  const from = words.indexOf('from');
  return from !== -1 && words[from + 1] === 'stdin';
}

/** Returns the index after the closing quote, or -1. A doubled quote stands for one. */
function skipQuoted(text: string, open: number, quote: string): number {
  let i = open + 1;
  for (;;) {
    const close = text.indexOf(quote, i);
    if (close === -1) return -1;
    if (text[close + 1] !== quote) return close + 1;
    i = close + 2;
  }
}

/**
 * A string literal, including the continuation PostgreSQL allows: another quoted part after whitespace
 * that holds a newline ('a'\n'b' is 'ab'), which keeps the escape mode of the first part.
 */
function skipString(text: string, open: number, escapes: boolean): number {
  let stop = escapes ? skipEscapeString(text, open) : skipQuoted(text, open, "'");
  while (stop !== -1) {
    const continuation = /^[ \t\r\f\v]*\n[ \t\n\r\f\v]*'/.exec(text.slice(stop, stop + 256));
    if (!continuation) return stop;
    const quote = stop + continuation[0].length - 1;
    stop = escapes ? skipEscapeString(text, quote) : skipQuoted(text, quote, "'");
  }
  return -1;
}

function skipEscapeString(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === "'") {
      if (text[i + 1] !== "'") return i + 1;
      i++;
    }
  }
  return -1;
}

/** Block comments nest in PostgreSQL, unlike in the SQL standard and most other lexers. */
function skipBlockComment(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length - 1; i++) {
    if (text[i] === '/' && text[i + 1] === '*') {
      depth++;
      i++;
    } else if (text[i] === '*' && text[i + 1] === '/') {
      depth--;
      i++;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}
