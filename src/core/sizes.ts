/**
 * Sizes as the lock trace states them: bytes in PostgreSQL's units (kB, MB, GB, TB, 1024-based, as
 * pg_size_pretty names them) and row estimates, plus the reading of a size given as text (--big).
 */
import { PgshiftError } from './errors.js';

const UNITS = ['kB', 'MB', 'GB', 'TB'] as const;

/** The multiplier of each unit a size may be given in, lower case. */
const FACTORS: ReadonlyMap<string, number> = new Map([['', 1], ['b', 1], ['bytes', 1], ...UNITS.map((unit, index): [string, number] => [unit.toLowerCase(), 1024 ** (index + 1)])]);

const round = (value: number): number => Math.round(value * 10) / 10;

/** `value` divided by `base` until it rounds (to one decimal) below `base` or the units run out. */
function scaled(value: number, base: number, units: number): { value: number; unit: number } {
  let unit = 0;
  while (round(value) >= base && unit < units) {
    value /= base;
    unit++;
  }
  return { value: round(value), unit };
}

/** 512 bytes, 8 kB, 1.2 GB: one decimal, dropped when it is 0. */
export function formatBytes(bytes: number): string {
  const { value, unit } = scaled(bytes, 1024, UNITS.length);
  return unit === 0 ? `${bytes} bytes` : `${value} ${UNITS[unit - 1] ?? ''}`;
}

const ROW_UNITS = ['k', 'M', 'G'] as const;

/** ~8.4 M rows, ~12 rows, ~1 row: the planner's estimate (reltuples), or none where the table was never analyzed. */
export function formatRows(rows: number | undefined): string {
  if (rows === undefined) return 'rows unknown (never analyzed)';
  return `~${formatCount(rows)} ${Math.round(rows) === 1 ? 'row' : 'rows'}`;
}

/** 812, 12.3 k, 1.2 M: a count, as row estimates and progress state it. */
export function formatCount(count: number): string {
  const { value, unit } = scaled(count, 1000, ROW_UNITS.length);
  return unit > 0 ? `${value} ${ROW_UNITS[unit - 1] ?? ''}` : String(Math.round(count));
}

/**
 * A relation's size as reports state it: "4.2 MB, ~100 k rows". A table never vacuumed or analyzed has
 * reltuples -1 and usually relpages 0 however much it holds: its size is unknown, not zero.
 */
export function describeSize(size: { readonly bytes: number; readonly rows: number | undefined }): string {
  return size.rows === undefined ? 'size unknown: never vacuumed or analyzed' : `${formatBytes(size.bytes)}, ${formatRows(size.rows)}`;
}

const SIZE = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;

/**
 * A size as a person gives it: `10MB`, `1 GB`, `500kB`, `0`, or a plain number of bytes; the unit in any
 * case. `name` is how the user gave it (`--big`), for the message.
 */
export function parseSize(name: string, raw: unknown): number {
  // A number or a string as given; anything else (an object from an API caller) shown as JSON, not [object Object].
  const text = typeof raw === 'string' || typeof raw === 'number' ? String(raw).trim() : (JSON.stringify(raw) ?? String(raw));
  const [, number, unit] = SIZE.exec(text) ?? [];
  const factor = FACTORS.get((unit ?? '').toLowerCase());
  const bytes = Math.floor(Number(number) * (factor ?? Number.NaN));
  const readable = number !== undefined && factor !== undefined;
  if (!readable || !Number.isSafeInteger(bytes)) {
    throw new PgshiftError('USAGE', `${name} ${text === '' ? '(empty)' : text} ${readable ? 'is larger than any table can be (8 PB at most)' : 'is not a size'}`, {
      hint: `give ${name} a number of bytes, or a number with one of the units ${UNITS.join(', ')} (any case), for example ${name} 10MB`,
    });
  }
  return bytes;
}
