/**
 * How the caller names its options and commands: the planner's hints tell a user what to do next, and only
 * the caller knows whether that is a flag (`--to`) and a command line (`pgshift status`) or something else.
 */
import { dirname, join } from 'node:path';
import { checkNumber } from './numbers.js';
import type { SqlFile, VersionedKind } from './types.js';

export type OptionName = 'to' | 'steps' | 'all' | 'migration' | 'single-transaction' | 'version' | 'scratch' | 'scratch-database' | 'big' | 'lock-wait' | 'allow-out-of-order' | 'base-ref';
export type CommandName = 'up' | 'down' | 'status' | 'repair';

export interface Wording {
  /** How a user gives the option, as it is to be printed. */
  option(name: OptionName): string;
  /** How a user runs the command, as it is to be printed. */
  command(name: CommandName): string;
}

/** What every plan is told by its caller so its hints can be followed as written. */
export interface PlanWords {
  readonly wording: Wording;
  /**
   * The folders the files were read from, named in a hint about a file that is not there, when no file
   * of its kind in the catalog shows its folder.
   */
  readonly folders: { readonly migrations: string; readonly rollbacks: string };
}

/**
 * Where the file of `kind` for `version` and `name` belongs: beside the files of that kind that exist, so
 * the hint names the folder they were really read from.
 */
export function missingFilePath(kind: VersionedKind, version: number, name: string, siblings: Iterable<SqlFile>, { folders }: PlanWords): string {
  const [sibling] = siblings;
  return join(sibling ? dirname(sibling.path) : folders[`${kind}s`], `${String(version).padStart(3, '0')}_${name}.sql`);
}

/** The numbers a plan takes, checked in the caller's words (NaN, negatives and fractions refused). */
export function checkPlanNumbers(options: { readonly steps?: number | undefined; readonly to?: number | undefined }, wording: Wording): void {
  checkNumber(wording.option('steps'), options.steps, 'steps');
  checkNumber(wording.option('to'), options.to, 'version');
}
