/**
 * Numbers given as text (flags, environment variables), checked before anything connects. They are read
 * from the text as typed: a JavaScript number would turn `99999999999999999999` into 1e20 and `abc` into NaN,
 * and the message must show what the user wrote.
 */
import { PgshiftError } from './errors.js';

export type NumberKind = 'seconds' | 'positive-seconds' | 'count' | 'steps' | 'version';

const EXPECTED: Readonly<Record<NumberKind, string>> = {
  seconds: 'a number of seconds, 0 or more (for example 30 or 0.5)',
  'positive-seconds': 'a number of seconds above 0 (for example 10)',
  count: 'a whole number, 0 or more',
  steps: 'a whole number, 1 or more',
  version: 'a version: a whole number, 0 or more',
};

/**
 * `name` is how the user gave it: `--lock-wait`, `PGCONNECT_TIMEOUT`; `said`, how a message shows the value
 * given (by default the name and the text, `--lock-wait abc`).
 */
export function parseNumber(name: string, raw: unknown, kind: NumberKind, said?: string): number {
  if (Array.isArray(raw)) {
    throw new PgshiftError('USAGE', `${name} is given more than once`, { hint: `give ${name} once` });
  }
  const text = String(raw).trim();
  const decimal = kind === 'seconds' || kind === 'positive-seconds';
  const value = Number(text);
  const ok = (decimal ? /^\d+(\.\d+)?$/ : /^\d+$/).test(text) && (kind === 'positive-seconds' ? value > 0 : kind === 'steps' ? value >= 1 : true);
  if (!ok) {
    throw new PgshiftError('USAGE', `${said ?? `${name} ${text === '' ? '(empty)' : text}`} is not ${EXPECTED[kind]}`, { hint: `give ${name} ${EXPECTED[kind]}` });
  }
  if (!Number.isSafeInteger(Math.floor(value))) {
    throw new PgshiftError('USAGE', `${said ?? `${name} ${text}`} is too large: the largest is ${Number.MAX_SAFE_INTEGER}`, {
      hint: kind === 'version' ? 'pass the version of an existing migration file (pgshift status lists them)' : `give ${name} ${EXPECTED[kind]}`,
    });
  }
  return value;
}

/** The same rules for a number a program passed (the API): NaN, negatives and fractions refused. */
export function checkNumber(name: string, value: number | undefined, kind: NumberKind): void {
  if (value === undefined) return;
  const given: unknown = value;
  if (typeof given !== 'number') {
    const shown = typeof given === 'string' ? ` (${JSON.stringify(given)})` : '';
    const type = given === null ? 'null' : typeof given;
    throw new PgshiftError('USAGE', `${name} must be a number, not ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}${shown}`, { hint: `give ${name} ${EXPECTED[kind]}` });
  }
  if (!Number.isFinite(value)) throw new PgshiftError('USAGE', `${name} ${String(value)} is not ${EXPECTED[kind]}`, { hint: `give ${name} ${EXPECTED[kind]}` });
  // Past this, toString() writes an exponent (1e+21), which the text check would call no whole number.
  if (value > Number.MAX_SAFE_INTEGER) {
    throw new PgshiftError('USAGE', `${name} ${String(value)} is too large: the largest is ${Number.MAX_SAFE_INTEGER}`, { hint: `give ${name} ${EXPECTED[kind]}` });
  }
  parseNumber(name, value.toString(), kind);
}
