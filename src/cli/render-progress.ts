/**
 * A run's progress in words, for the live line on a terminal and for the log lines elsewhere:
 * "files 12/40, 1:23 elapsed, ~2:10 left · migrations/013_ix.sql (13/40) 42 s: CREATE INDEX on big: building
 * index: scanning table 63% (1.2 M/1.9 M blocks), ~40 s left in this phase".
 */
import stringWidth from 'string-width';
import { printable } from '../core/printable.js';
import { formatBytes, formatCount } from '../core/sizes.js';
import type { LockHolderSeen, StatementProgress } from '../core/statement-progress.js';
import type { ProgressEvent } from '../migrator-types.js';

/** The run line is shown only for a run of more than this many files: a short run says enough in its log. */
export const RUN_LINE_FILES = 5;

/**
 * The whole line within `width` columns; undefined when there is nothing to show yet. What the statement
 * does (its percentage, who holds its lock) matters most: the run's part goes first when both do not fit.
 */
export function progressLine(event: ProgressEvent, { width = Infinity, short = false }: { readonly width?: number; readonly short?: boolean } = {}): string | undefined {
  const run = runPart(event);
  const statement = statementPart(event, short);
  const both = [run, statement].filter((part) => part !== undefined).join(' · ');
  if (both === '') return undefined;
  return stringWidth(both) <= width || statement === undefined ? both : statement;
}

function runPart({ files }: ProgressEvent): string | undefined {
  if (files.total <= RUN_LINE_FILES) return undefined;
  const left = files.secondsLeft === undefined ? '' : `, ~${clock(files.secondsLeft)} left`;
  return `files ${files.done}/${files.total}, ${clock(Math.floor(files.elapsedMs / 1000))} elapsed${left}`;
}

/** The running statement's part: its file (k/N), elapsed time, and what the server says it does. */
function statementPart({ files, file, statement }: ProgressEvent, short = false): string | undefined {
  if (statement === undefined || file === undefined) return undefined;
  const place = files.total > 1 ? ` (${Math.min(files.done + 1, files.total)}/${files.total})` : '';
  // `short`, on a terminal: the file's name only, as the log above gives its folder; the width is better spent on the percentage.
  return `${printable(short ? file.replace(/[^\s]*\//g, '') : file)}${place} ${duration(Math.floor(statement.elapsedMs / 1000))}${doing(statement)}`;
}

function doing(statement: StatementProgress): string {
  if (statement.waitingFor !== undefined) return `, waiting for a lock held by ${statement.waitingFor.map(holder).join('; ')}`;
  if (statement.command === undefined) return '';
  const on = statement.relation === undefined ? '' : ` on ${printable(statement.relation)}`;
  const partition = statement.partition === undefined ? '' : ` (partition ${Math.min(statement.partition.done + 1, statement.partition.total)} of ${statement.partition.total})`;
  const phase = statement.phase === undefined ? '' : `: ${statement.phase}`;
  const counted =
    statement.percent === undefined || statement.done === undefined || statement.total === undefined
      ? ''
      : ` ${statement.percent}% (${amount(statement.done, statement.unit)}/${amount(statement.total, statement.unit)}${statement.unit === 'bytes' ? '' : ` ${statement.unit ?? ''}`})`;
  const left = statement.phaseSecondsLeft === undefined ? '' : `, ~${duration(statement.phaseSecondsLeft)} left in this phase`;
  return `: ${statement.command}${on}${partition}${phase}${counted}${left}`;
}

/** pid 4242 (psql, user alice, idle in transaction for 40 s); what the server hides from this role is said to be hidden. */
export function holder(seen: LockHolderSeen): string {
  if (seen.pid === 0) return `the prepared transaction ${printable(JSON.stringify(seen.application))} (owner ${printable(seen.user)}, prepared ${duration(seen.seconds ?? 0)} ago: COMMIT PREPARED or ROLLBACK PREPARED it)`;
  const application = seen.application === '' ? 'no application name' : printable(seen.application);
  const state = seen.state === null ? 'state hidden' : seen.seconds === null ? seen.state : `${seen.state}, transaction open ${duration(seen.seconds)}`;
  return `pid ${seen.pid} (${application}, user ${printable(seen.user)}, ${state})`;
}

function amount(value: number, unit: string | undefined): string {
  return unit === 'bytes' ? formatBytes(value) : formatCount(value);
}

/** 42 s, 3 min 5 s, 1 h 2 min. */
export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min${seconds % 60 === 0 ? '' : ` ${seconds % 60} s`}`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

/** 1:23, 1:02:03. */
function clock(seconds: number): string {
  const two = (value: number): string => String(value).padStart(2, '0');
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes}:${two(seconds % 60)}` : `${Math.floor(minutes / 60)}:${two(minutes % 60)}:${two(seconds % 60)}`;
}
