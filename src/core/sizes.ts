/**
 * Sizes as the lock trace states them: bytes in PostgreSQL's units (kB, MB, GB, TB, 1024-based, as
 * pg_size_pretty names them) and row estimates, plus the reading of a size given as text (--big).
 */
import { PgshiftError } from './errors.js';

const UNITS = ['kB', 'MB', 'GB', 'TB'] as const;

/** The multiplier of each unit a size may be given in, lower case. */
const FACTORS: ReadonlyMap<string, number> = new Map([['', 1], ['b', 1], ['bytes', 1], ...UNITS.map((unit, index): [string, number] => [unit.toLowerCase(), 1024 ** (index + 1)])]);

/** One decimal, dropped when it is 0: 8 kB, 1.2 GB. */
function oneDecimal(value: number): string {
  return (Math.round(value * 10) / 10).toString();
}

/** 512 bytes, 8 kB, 1.2 GB: the largest unit that leaves at least 1 (rounded below 1024). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  let value = bytes / 1024;
  let unit = 0;
  while (Math.round(value * 10) / 10 >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${oneDecimal(value)} ${UNITS[unit] ?? ''}`;
}

const ROW_UNITS = [
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
] as const;

/** ~8.4 M rows, ~12 rows, ~1 row; the planner's estimate (reltuples), or none where the table was never analyzed. */
export function formatRows(rows: number | undefined): string {
  if (rows === undefined) return 'rows unknown (never analyzed)';
  const scale = ROW_UNITS.find(([factor]) => Math.round(rows / factor * 10) / 10 >= 1);
  if (scale) return `~${oneDecimal(rows / scale[0])} ${scale[1]} rows`;
  const whole = Math.round(rows);
  return `~${whole} ${whole === 1 ? 'row' : 'rows'}`;
}

const SIZE = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;

/**
 * A size as a person gives it: `10MB`, `1 GB`, `500kB`, `0`, or a plain number of bytes; the unit in any
 * case. `name` is how the user gave it (`--big`), for the message.
 */
export function parseSize(name: string, raw: unknown): number {
  const text = String(raw).trim();
  const [, number, unit] = SIZE.exec(text) ?? [];
  const factor = FACTORS.get((unit ?? '').toLowerCase());
  const bytes = Math.floor(Number(number) * (factor ?? Number.NaN));
  if (number === undefined || factor === undefined || !Number.isSafeInteger(bytes)) {
    throw new PgshiftError('USAGE', `${name} ${text === '' ? '(empty)' : text} is not a size`, {
      hint: `give ${name} a number of bytes, or a number with one of the units ${UNITS.join(', ')} (any case), for example ${name} 10MB`,
    });
  }
  return bytes;
}
