/**
 * Directives: `-- pgshift:NAME[=VALUE]` lines in a file's leading comment block. An unknown directive is an
 * error, not a comment, so that a typo (`no-transation`) cannot silently change how a file runs.
 */
import type { Problem } from './errors.js';
import { lineColumnAt } from './position.js';
import type { ScriptFile } from './types.js';

/** A problem's version: a numbered file's; a repeatable file has none. */
export function versionOf(file: ScriptFile): { readonly version?: number } {
  return 'version' in file && typeof file.version === 'number' ? { version: file.version } : {};
}

export interface Directives {
  /** False for `-- pgshift:no-transaction`: statements run one at a time, outside any transaction. */
  readonly transaction: boolean;
  /** A PostgreSQL duration such as `5s`, `250ms` or `0` (no limit) for this file's statements. */
  readonly lockTimeout?: string;
  readonly statementTimeout?: string;
  /** `-- pgshift:unwritten`: the file is still `pgshift new`'s template, so it must not run. */
  readonly unwritten?: boolean;
  /** The reason given by `-- pgshift:allow parse-error REASON`: syntax newer than pgshift's parser. */
  readonly allowParseError?: string;
}

const DIRECTIVE = /^\s*pgshift:([A-Za-z-]+)(?:\s*=\s*(\S*))?\s*$|^\s*pgshift:(allow)\b/;
/** The one `allow` that is a directive, not a lint suppression: the file need not parse. */
const ALLOW_PARSE_ERROR = /^\s*pgshift:allow[ \t]+parse-error\b[ \t]*(.*?)\s*$/;

/**
 * A duration in PostgreSQL's units for time settings. A bare number would be read in the setting's own
 * unit, milliseconds, while pgshift's other flags count seconds: so a unit is required, and only 0 (no
 * limit) stands alone.
 */
const DURATION = /^(?:0|(\d+)(us|ms|s|min|h|d))$/;
const MILLISECONDS_PER = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** lock_timeout and statement_timeout are ints of milliseconds: the server refuses anything longer. */
const LONGEST_TIMEOUT_MS = 2_147_483_647;

const DURATION_HINT = 'write a number with a unit: 500ms, 10s, 2min, 1h (units: us, ms, s, min, h, d), or 0 for no limit';

/** Why `value` (given as `name`) is not a duration PostgreSQL accepts for a timeout, or undefined when it is one. */
export function durationProblem(name: string, value: string): { code: 'DURATION_UNIT' | 'BAD_DIRECTIVE'; message: string; hint: string } | undefined {
  const given = `${name}${name.startsWith('--') ? ' ' : '='}${value}`;
  const duration = DURATION.exec(value);
  if (duration) {
    const [, amount, unit] = duration;
    if (amount === undefined || unit === undefined) return undefined;
    if (Math.round(Number(amount) * MILLISECONDS_PER[unit as keyof typeof MILLISECONDS_PER]) <= LONGEST_TIMEOUT_MS) return undefined;
    return {
      code: 'BAD_DIRECTIVE',
      message: `${given} is longer than PostgreSQL allows for a timeout`,
      hint: `the longest is ${LONGEST_TIMEOUT_MS}ms (596h, about 24.8 days); write a shorter duration, or 0 for no limit`,
    };
  }
  if (/^\d+$/.test(value)) {
    return {
      code: 'DURATION_UNIT',
      message: `${given} has no unit`,
      hint: `write ${value}s for seconds or ${value}ms for milliseconds (0: no limit); a bare number would be milliseconds`,
    };
  }
  return { code: 'BAD_DIRECTIVE', message: `${given} is not a duration`, hint: DURATION_HINT };
}

export function parseDirectives(file: ScriptFile, leadingComments: readonly string[]): { directives: Directives; problems: Problem[] } {
  const problems: Problem[] = [];
  const found: { -readonly [K in keyof Directives]: Directives[K] } = { transaction: true };
  const problem = (line: string, message: string, hint: string, code: Problem['code'] = 'BAD_DIRECTIVE'): void => {
    const at = lineColumnAt(file.text, Math.max(0, file.text.indexOf(line.trim())));
    problems.push({ code, file: file.path, ...versionOf(file), line: at.line, message: `${file.path}:${at.line}:${at.column}: ${message}`, hint });
  };
  for (const line of leadingComments.flatMap((comment) => comment.split('\n'))) {
    if (!/^\s*pgshift:/.test(line)) continue;
    const match = DIRECTIVE.exec(line);
    const [name, value] = match ? [(match[1] ?? match[3])?.toLowerCase(), match[2]] : [undefined, undefined];
    const allowParseError = ALLOW_PARSE_ERROR.exec(line);
    if (allowParseError) {
      if (allowParseError[1]) found.allowParseError = allowParseError[1];
      else problem(line, 'pgshift:allow parse-error gives no reason', 'say why the file is right although PostgreSQL 17\'s parser refuses it: -- pgshift:allow parse-error uses PostgreSQL 18 syntax (the server is 18)');
    } else if (name === 'allow') {
      continue; // a lint suppression for the first statement: lint reads it
    } else if (name === 'unwritten' && value === undefined) {
      found.unwritten = true;
    } else if (name === 'no-transaction' && value === undefined) {
      found.transaction = false;
    } else if ((name === 'lock-timeout' || name === 'statement-timeout') && value !== undefined) {
      const wrong = durationProblem(`pgshift:${name}`, value);
      if (wrong) {
        problem(line, wrong.message, wrong.hint, wrong.code);
        continue;
      }
      if (name === 'lock-timeout') found.lockTimeout = value;
      else found.statementTimeout = value;
    } else {
      problem(line, unknownDirective(line), KNOWN_DIRECTIVES);
    }
  }
  return { directives: found, problems };
}

const KNOWN_DIRECTIVES =
  'the directives are pgshift:no-transaction, pgshift:lock-timeout=DURATION, pgshift:statement-timeout=DURATION, pgshift:unwritten and pgshift:allow parse-error REASON';

function unknownDirective(line: string): string {
  return `unknown directive "${line.trim()}"`;
}

/** `pgshift:allow` after the first statement is lint's (a suppression, or lint's error for one naming no rule); `allow parse-error` is the file's. */
const SUPPRESSION = /^\s*pgshift:allow(?![ \t]+parse-error\b)(?:[ \t]|$)/;
const PLACED_DIRECTIVES: ReadonlySet<string> = new Set(['no-transaction', 'lock-timeout', 'statement-timeout']);

/**
 * Directive lines in comments after the first statement, where none is read: the file would run without
 * what its author asked for (a lock timeout, no transaction), so it is refused rather than run. An unknown
 * one is worded as at the top, since its spelling is what is wrong. Held against pending files only (one
 * code for all of them): an applied file ran as it was.
 */
export function misplacedDirectives(file: ScriptFile, laterComments: ReadonlyArray<{ readonly at: number; readonly text: string }>): Problem[] {
  const problems: Problem[] = [];
  for (const { at, text } of laterComments) {
    let offset = 0;
    for (const line of text.split('\n')) {
      const problem = /^\s*pgshift:/.test(line) && !SUPPRESSION.test(line) ? misplaced(line) : undefined;
      if (problem) {
        const where = lineColumnAt(file.text, at + offset + line.indexOf('pgshift:'));
        const message = `${file.path}:${where.line}:${where.column}: ${problem.message}`;
        problems.push({ code: 'MISPLACED_DIRECTIVE', file: file.path, ...versionOf(file), line: where.line, message, hint: problem.hint });
      }
      offset += line.length + 1;
    }
  }
  return problems;
}

function misplaced(line: string): { readonly message: string; readonly hint: string } {
  const name = DIRECTIVE.exec(line)?.[1]?.toLowerCase();
  const late = `${line.trim()} comes after the first statement, where directives are not read`;
  if (name === 'unwritten') return { message: late, hint: "delete it: it marks pgshift new's template, and this file has statements" };
  if ((name !== undefined && PLACED_DIRECTIVES.has(name)) || ALLOW_PARSE_ERROR.test(line)) {
    return { message: late, hint: 'move it into the comment block at the top of the file, before the first statement: as it stands the file would run without it' };
  }
  return { message: `${unknownDirective(line)}, after the first statement`, hint: KNOWN_DIRECTIVES };
}
