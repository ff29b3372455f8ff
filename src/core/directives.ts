/**
 * Directives: `-- pgshift:NAME[=VALUE]` lines in a file's leading comment block. An unknown directive is an
 * error, not a comment, so that a typo (`no-transation`) cannot silently change how a file runs.
 */
import type { Problem } from './errors.js';
import type { SqlFile } from './types.js';

export interface Directives {
  /** False for `-- pgshift:no-transaction`: statements run one at a time, outside any transaction. */
  readonly transaction: boolean;
  /** A PostgreSQL duration such as `5s`, `250ms` or `0` (no limit) for this file's statements. */
  readonly lockTimeout?: string;
  readonly statementTimeout?: string;
}

export const DEFAULT_DIRECTIVES: Directives = { transaction: true };

const DIRECTIVE = /^\s*pgshift:([A-Za-z-]+)(?:\s*=\s*(\S*))?\s*$|^\s*pgshift:(allow)\b/;
/** PostgreSQL's units for time settings; a bare number is milliseconds. */
export const DURATION = /^\d+(?:us|ms|s|min|h|d)?$/;
export const DURATION_HINT = 'write a number with an optional unit: 0 (no limit), 500ms, 10s, 2min, 1h';

export function parseDirectives(file: SqlFile, leadingComments: readonly string[]): { directives: Directives; problems: Problem[] } {
  const problems: Problem[] = [];
  const found: { transaction: boolean; lockTimeout?: string; statementTimeout?: string } = { transaction: true };
  const problem = (message: string, hint: string): void => {
    problems.push({ code: 'BAD_DIRECTIVE', file: file.path, version: file.version, message: `${file.path}: ${message}`, hint });
  };
  for (const line of leadingComments.flatMap((comment) => comment.split('\n'))) {
    if (!/^\s*pgshift:/.test(line)) continue;
    const match = DIRECTIVE.exec(line);
    const [name, value] = match ? [(match[1] ?? match[3])?.toLowerCase(), match[2]] : [undefined, undefined];
    if (name === 'allow') {
      continue; // a lint suppression for the first statement: lint reads it
    } else if (name === 'no-transaction' && value === undefined) {
      found.transaction = false;
    } else if ((name === 'lock-timeout' || name === 'statement-timeout') && value !== undefined) {
      if (!DURATION.test(value)) {
        problem(`pgshift:${name}=${value} is not a duration`, DURATION_HINT);
        continue;
      }
      if (name === 'lock-timeout') found.lockTimeout = value;
      else found.statementTimeout = value;
    } else {
      problem(
        `unknown directive "${line.trim()}"`,
        'the directives are pgshift:no-transaction, pgshift:lock-timeout=DURATION and pgshift:statement-timeout=DURATION',
      );
    }
  }
  return { directives: found, problems };
}
