/**
 * Test databases: one template per set of files, migrated once, and clones of it made per test. This module
 * decides without the server: the template's name from what its content depends on, the clones' names, and
 * which of the test databases a server holds may go.
 *
 * Names stay within PostgreSQL's 63 bytes by construction: a longer one is cut short with only a notice, and
 * two templates cut short alike would be taken for one another.
 */
import { createHash } from 'node:crypto';

export const TEMPLATE_PREFIX = 'pgshift_tpl_';
export const CLONE_PREFIX = 'pgshift_test_';
export const SPARE_PREFIX = 'pgshift_spare_';

const TEMPLATE_NAME = /^pgshift_tpl_([0-9a-f]{32})$/;
const CLONE_NAME = /^pgshift_test_([0-9a-f]{8})_([0-9a-f]{6})_(\d{1,10})_(\d{1,12})_[0-9a-f]{4,8}$/;
const SPARE_NAME = /^pgshift_spare_([0-9a-f]{32})_([1-9]\d{0,8})$/;

/** Everything a template's content depends on: any change gives another template. */
export interface TemplateInputs {
  readonly pgshiftVersion: string;
  /** The server's major version: a template is never cloned across an upgrade. */
  readonly serverMajor: number;
  /** The role that builds it owns its objects: another role gets a template of its own. */
  readonly user: string;
  readonly schema: string | undefined;
  readonly table: string;
  readonly migrations: ReadonlyArray<{ readonly version: number; readonly name: string; readonly checksum: string }>;
  readonly repeatables: ReadonlyArray<{ readonly name: string; readonly checksum: string }>;
}

export function templateName(inputs: TemplateInputs): string {
  const digest = createHash('sha256')
    .update(
      JSON.stringify([
        inputs.pgshiftVersion,
        inputs.serverMajor,
        inputs.user,
        inputs.schema ?? null,
        inputs.table,
        inputs.migrations.map(({ version, name, checksum }) => [version, name, checksum]),
        inputs.repeatables.map(({ name, checksum }) => [name, checksum]),
      ]),
    )
    .digest('hex');
  return `${TEMPLATE_PREFIX}${digest.slice(0, 32)}`;
}

/** Who made a clone and when: a clone's name carries it, so that leftovers can be told from databases in use. */
export interface CloneMaker {
  /** The first 6 hex digits of a hash of the machine's host name: a pid means something only on its own machine. */
  readonly host: string;
  /** 0: no process owns it (made by the CLI for a script), and only its age says it may go. */
  readonly pid: number;
  /** Seconds since the epoch. */
  readonly created: number;
}

export function hostTag(hostname: string): string {
  return createHash('sha256').update(hostname).digest('hex').slice(0, 6);
}

/** `pgshift_test_<template's hash, 8>_<host, 6>_<pid>_<created>_<random, 8>`: at most 60 bytes. */
export function cloneName(template: string, maker: CloneMaker, random: string): string {
  return `${CLONE_PREFIX}${template.slice(TEMPLATE_PREFIX.length, TEMPLATE_PREFIX.length + 8)}_${maker.host}_${maker.pid}_${maker.created}_${random}`;
}

/**
 * `pgshift_spare_<template's whole hash>_<slot>`, at most 56 bytes: a clone made ahead, for the next test
 * database to take by renaming it. The name carries the whole hash, so that a spare is never taken for
 * another template's, and says so from the moment it exists (a comment would come a statement later). Slots
 * run from 1 to the number of spares asked for: two processes making the same one make it once (the second
 * CREATE DATABASE fails on the name), so there are never more spares than that.
 */
export function spareName(template: string, slot: number): string {
  return `${SPARE_PREFIX}${template.slice(TEMPLATE_PREFIX.length)}_${slot}`;
}

/**
 * One of slots 1 to `wanted` that no spare of `template` holds, drawn by `pick` (an index into the free
 * ones), or undefined when all are held. Drawn, not the first: processes refilling at once would all pick
 * the same slot, and all but one give up.
 */
export function freeSpareSlot(template: string, held: readonly string[], wanted: number, pick: (count: number) => number = () => 0): number | undefined {
  const taken = new Set(held);
  const free = Array.from({ length: wanted }, (_, index) => index + 1).filter((slot) => !taken.has(spareName(template, slot)));
  return free.length === 0 ? undefined : free[Math.min(free.length - 1, Math.max(0, pick(free.length)))];
}

/** The slot a spare's name ends in; highest first is the order they are taken in, so slots past a lowered N drain. */
export function spareSlot(name: string): number {
  return Number(SPARE_NAME.exec(name)?.[2] ?? 0);
}

/** The prefix every spare of `template` has, for a LIKE. */
export function sparesOf(template: string): string {
  return `${SPARE_PREFIX}${template.slice(TEMPLATE_PREFIX.length)}_`;
}

/** The template a spare was copied from. */
export function spareTemplate(name: string): string | undefined {
  const hash = SPARE_NAME.exec(name)?.[1];
  return hash === undefined ? undefined : `${TEMPLATE_PREFIX}${hash}`;
}

export function isTemplateName(name: string): boolean {
  return TEMPLATE_NAME.test(name);
}

export function cloneMaker(name: string): CloneMaker | undefined {
  const [, , host, pid, created] = CLONE_NAME.exec(name) ?? [];
  return host === undefined ? undefined : { host, pid: Number(pid), created: Number(created) };
}

/**
 * What a test database's comment records: when a template was finished, or that a clone was kept on purpose
 * (its test failed, and someone may want to look at it).
 */
export type TestDatabaseNote = { readonly built: number } | { readonly kept: number };

export function noteText(note: TestDatabaseNote): string {
  return `pgshift ${JSON.stringify(note)}`;
}

export function readNote(comment: string | null): TestDatabaseNote | undefined {
  if (comment === null || !comment.startsWith('pgshift {')) return undefined;
  try {
    const note = JSON.parse(comment.slice('pgshift '.length)) as Record<string, unknown>;
    if (typeof note['built'] === 'number') return { built: note['built'] };
    if (typeof note['kept'] === 'number') return { kept: note['kept'] };
  } catch {
    // A comment someone wrote by hand: the database is judged by its name alone.
  }
  return undefined;
}

/** A database of the server whose name is a template's or a clone's. */
export interface TestDatabaseRow {
  readonly name: string;
  readonly isTemplate: boolean;
  readonly comment: string | null;
  /**
   * Left by a DROP DATABASE that did not finish, or being dropped right now by a session outside the lock:
   * only DROP DATABASE may touch it (the ALTER that unmarks a template ends the session that sends it).
   */
  readonly invalid?: boolean;
}

export interface PruneRules {
  /** The template the current files make, which stays; undefined: none is current (no files were read). */
  readonly current: string | undefined;
  /** Seconds since the epoch. */
  readonly now: number;
  /** This old (seconds), a clone goes, kept or not, and so does another files' template at a build. */
  readonly keepSeconds: number;
  /** This machine's host tag (hostTag). */
  readonly host: string;
  readonly alive: (pid: number) => boolean;
  /**
   * `prune`: every template but the current one goes. `build`: only those built longer than keepSeconds ago;
   * another branch's tests may still be cloning a newer one.
   */
  readonly mode: 'prune' | 'build';
}

export interface PruneStep {
  readonly name: string;
  readonly template: boolean;
  /** Why it goes, said after its name. */
  readonly reason: string;
  /**
   * Connections still open to it are ended: for what nobody can be using (a gone process's clone, a build
   * that did not finish, a template closed to connections). A clone dropped for its age is left while in use.
   */
  readonly force: boolean;
}

/**
 * Which test databases go. Called only under the test databases' lock, where no build is under way: a
 * template not yet marked as one is what a build that did not finish left.
 */
export function planPrune(rows: readonly TestDatabaseRow[], rules: PruneRules): PruneStep[] {
  const staying = new Set(rows.filter((row) => row.invalid !== true && isTemplateName(row.name) && templateReason(row, rules) === undefined).map((row) => row.name));
  if (rules.current !== undefined) staying.add(rules.current);
  return rows.flatMap((row): PruneStep[] => {
    if (row.invalid === true) return [{ name: row.name, template: false, reason: 'left half-dropped by a DROP DATABASE that did not finish', force: true }];
    if (isTemplateName(row.name)) {
      const reason = templateReason(row, rules);
      return reason === undefined ? [] : [{ name: row.name, template: true, reason, force: true }];
    }
    // A spare goes with its template at a build; prune, which clears up, drops every one: the next test
    // database asked for makes them again.
    const spareOf = spareTemplate(row.name);
    if (spareOf !== undefined) {
      if (rules.mode === 'prune') return [{ name: row.name, template: false, reason: `a spare of ${spareOf === rules.current ? 'the current template' : spareOf}`, force: true }];
      return staying.has(spareOf) ? [] : [{ name: row.name, template: false, reason: `a spare of ${spareOf}, which is not kept`, force: true }];
    }
    // A build leaves the clones alone: they may be another project's, in use right now.
    const found = rules.mode === 'prune' ? cloneReason(row, rules) : undefined;
    return found === undefined ? [] : [{ name: row.name, template: false, reason: found.reason, force: found.gone }];
  });
}

function templateReason(row: TestDatabaseRow, rules: PruneRules): string | undefined {
  if (!row.isTemplate) return 'a template whose build did not finish';
  if (row.name === rules.current) return undefined;
  if (rules.mode === 'prune') return OTHER_TEMPLATE;
  const note = readNote(row.comment);
  const built = note !== undefined && 'built' in note ? note.built : 0;
  return rules.now - built >= rules.keepSeconds ? `${OTHER_TEMPLATE}, built ${age(rules.now - built)} ago` : undefined;
}

/** The name says only that its inputs differ from the current ones'. */
const OTHER_TEMPLATE = 'not the template of these files (other files, or another role, server or pgshift version)';

function cloneReason(row: TestDatabaseRow, rules: PruneRules): { readonly reason: string; readonly gone: boolean } | undefined {
  const maker = cloneMaker(row.name);
  if (maker === undefined) return undefined;
  const gone = maker.pid !== 0 && maker.host === rules.host && !rules.alive(maker.pid);
  if (rules.now - maker.created >= rules.keepSeconds) return { reason: `made ${age(rules.now - maker.created)} ago`, gone };
  const note = readNote(row.comment);
  if (note !== undefined && 'kept' in note) return undefined;
  return gone ? { reason: `left by process ${maker.pid}, which is gone`, gone } : undefined;
}

function age(seconds: number): string {
  const [count, unit] =
    seconds >= 2 * 86400 ? [Math.floor(seconds / 86400), 'day'] : seconds >= 2 * 3600 ? [Math.floor(seconds / 3600), 'hour'] : seconds >= 120 ? [Math.floor(seconds / 60), 'minute'] : [Math.max(0, seconds), 'second'];
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/** The most digits `--keep` takes: 999999999 of a unit is over 31 years even in seconds, and stays exact. */
export const KEEP_DIGITS = 9;

/**
 * `--keep`: `0`, or whole days, hours, minutes or seconds in PostgreSQL's units (`1d`, `12h`, `30min`,
 * `90s`); `too large` past KEEP_DIGITS digits.
 */
export function keepSeconds(text: string): number | 'too large' | undefined {
  const trimmed = text.trim();
  if (/^0+$/.test(trimmed)) return 0;
  const match = /^(\d+)(d|h|min|s)$/.exec(trimmed);
  if (match === null) return undefined;
  if (match[1]!.replace(/^0+(?=\d)/, '').length > KEEP_DIGITS) return 'too large';
  return Number(match[1]) * { d: 86400, h: 3600, min: 60, s: 1 }[match[2] as 'd' | 'h' | 'min' | 's'];
}
