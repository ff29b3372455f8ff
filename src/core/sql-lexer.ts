/**
 * A lexer that finds statement boundaries in a PostgreSQL script the way psql does: semicolons inside
 * strings ('', E'' with backslash escapes), quoted identifiers, $tag$ dollar quotes, -- and nested
 * block comments, parentheses, and CREATE FUNCTION ... BEGIN ATOMIC ... END bodies do not end a statement.
 * It reads text only; it never decides what a statement means beyond its leading words.
 */
import { defined } from './defined.js';

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
  /**
   * Comments after that which mention `pgshift:`, without their markers, and where their text starts: a
   * directive there would be silently ignored, and a `pgshift:allow` there is a lint suppression.
   */
  readonly laterPgshiftComments: ReadonlyArray<{ readonly at: number; readonly text: string }>;
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
  return new StatementScanner(text).scan();
}

/** What step() returns when a COPY ... FROM STDIN ends the scan: what follows is data, not SQL. */
const COPY_STOP = -1;

/** One pass over a script; the fields describe the statement being read, reset by finish(). */
class StatementScanner {
  private readonly statements: ScannedStatement[] = [];
  private readonly leadingComments: string[] = [];
  private readonly laterPgshiftComments: Array<{ at: number; text: string }> = [];
  private metaCommandAt: number | undefined;
  private copyFromStdinAt: number | undefined;
  private unterminated: ScanResult['unterminated'];
  private start = -1;
  private end = -1;
  private words: string[] = [];
  private parenDepth = 0;
  // psql's heuristic: inside CREATE [OR REPLACE] FUNCTION|PROCEDURE, BEGIN (and CASE within it) opens a
  // block that END closes, and semicolons inside that block belong to the function body.
  private beginDepth = 0;
  private wordCount = 0;
  private functionShape = '';
  // E'...' is the one string form where a backslash escapes the next character.
  private lastWordStart = -1;
  private lastWordEnd = -1;

  constructor(private readonly text: string) {}

  scan(): ScanResult {
    let i = 0;
    while (i < this.text.length && i !== COPY_STOP) i = this.step(i);
    if (i !== COPY_STOP) {
      const last = this.finish();
      if (last && isCopyFromStdin(last.words)) this.copyFromStdinAt = last.start;
    }
    const { statements, leadingComments, laterPgshiftComments, metaCommandAt, copyFromStdinAt, unterminated } = this;
    return { statements, leadingComments, laterPgshiftComments, ...defined({ metaCommandAt, copyFromStdinAt, unterminated }) };
  }

  /** Reads the construct at `i`; returns where the next one starts (the text's end once something is left open). */
  private step(i: number): number {
    const text = this.text;
    const c = text[i] as string;
    const next = text[i + 1];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') return i + 1;
    if (c === '-' && next === '-') return this.comment(i, orEnd(text, text.indexOf('\n', i)), 0);
    if (c === '/' && next === '*') return this.enclosed(i, 'block comment', skipBlockComment(text, i));
    if (c === "'") {
      const escapes = this.lastWordEnd === i && this.lastWordStart === i - 1 && (text[i - 1] === 'e' || text[i - 1] === 'E');
      return this.enclosed(i, 'string', skipString(text, i, escapes));
    }
    if (c === '"') return this.enclosed(i, 'quoted identifier', skipQuoted(text, i, '"'));
    if (c === '$') {
      const stop = skipDollarQuoted(text, i);
      if (stop !== undefined) return this.enclosed(i, 'dollar-quoted string', stop);
    }
    if (WORD_START.test(c)) return this.word(i);
    if (c >= '0' && c <= '9') return this.touch(i, numberEnd(text, i));
    if (c === ';' && this.parenDepth === 0 && this.beginDepth === 0) {
      const statement = this.finish();
      if (statement && isCopyFromStdin(statement.words)) {
        this.copyFromStdinAt = statement.start;
        return COPY_STOP;
      }
      return i + 1;
    }
    if (c === '\\') {
      this.metaCommandAt ??= i;
      return orEnd(text, text.indexOf('\n', i));
    }
    if (c === '(') this.parenDepth++;
    else if (c === ')' && this.parenDepth > 0) this.parenDepth--;
    return this.touch(i, i + 1);
  }

  /** Comments before the first statement are the place for directives; later ones naming pgshift: are kept to say so. */
  private comment(at: number, stop: number, closerLength: number): number {
    const text = this.text.slice(at + 2, stop - closerLength);
    if (this.start === -1 && this.statements.length === 0) this.leadingComments.push(text);
    else if (text.includes('pgshift:')) this.laterPgshiftComments.push({ at: at + 2, text });
    return stop;
  }

  private enclosed(at: number, kind: Unterminated, stop: number): number {
    if (stop === -1) {
      this.unterminated = { kind, at };
      return this.text.length;
    }
    return kind === 'block comment' ? this.comment(at, stop, 2) : this.touch(at, stop);
  }

  private word(at: number): number {
    const text = this.text;
    let stop = at + 1;
    while (stop < text.length && WORD_PART.test(text[stop] as string)) stop++;
    const word = text.slice(at, stop).toLowerCase();
    this.lastWordStart = at;
    this.lastWordEnd = stop;
    if (this.parenDepth === 0 && this.words.length < MAX_WORDS) this.words.push(word);
    if (this.wordCount < 4) this.functionShape += FUNCTION_SHAPE_LETTERS[word] ?? '-';
    this.wordCount++;
    if (this.parenDepth === 0 && DEFINES_ROUTINE.test(this.functionShape)) {
      if (word === 'begin') this.beginDepth++;
      else if (word === 'case' && this.beginDepth > 0) this.beginDepth++;
      else if (word === 'end' && this.beginDepth > 0) this.beginDepth--;
    }
    return this.touch(at, stop);
  }

  /** Extends the current statement (starting one if none is open) to `to`, which it returns. */
  private touch(at: number, to: number): number {
    if (this.start === -1) this.start = at;
    this.end = to;
    return to;
  }

  private finish(): ScannedStatement | undefined {
    if (this.start === -1) return undefined;
    const statement = { start: this.start, end: this.end, words: this.words };
    this.statements.push(statement);
    this.start = -1;
    this.words = [];
    this.parenDepth = 0;
    this.beginDepth = 0;
    this.wordCount = 0;
    this.functionShape = '';
    return statement;
  }
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
  if (/\s/.test(c)) return -(i + 1);
  if (c === '-' && next === '-') return -orEnd(text, text.indexOf('\n', i));
  if (c === '/' && next === '*') return -orEnd(text, skipBlockComment(text, i));
  if (c === "'") return orEnd(text, skipString(text, i, (previous === 'e' || previous === 'E') && text[i - 1] === previous));
  if (c === '"') return orEnd(text, skipQuoted(text, i, '"'));
  const dollarQuoted = c === '$' ? skipDollarQuoted(text, i) : undefined;
  if (dollarQuoted !== undefined) return orEnd(text, dollarQuoted);
  if (c >= '0' && c <= '9') return numberEnd(text, i);
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

/** `stop`, or the text's end when the construct runs to it (-1). */
function orEnd(text: string, stop: number): number {
  return stop === -1 ? text.length : stop;
}

function numberEnd(text: string, at: number): number {
  NUMBER.lastIndex = at;
  NUMBER.test(text);
  return NUMBER.lastIndex;
}

/** Undefined when no $tag$ starts at `open`; -1 when it is never closed; else the index after the closing tag. */
function skipDollarQuoted(text: string, open: number): number | undefined {
  DOLLAR_TAG.lastIndex = open;
  if (!DOLLAR_TAG.test(text)) return undefined;
  const tag = text.slice(open, DOLLAR_TAG.lastIndex);
  const close = text.indexOf(tag, DOLLAR_TAG.lastIndex);
  return close === -1 ? -1 : close + tag.length;
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
