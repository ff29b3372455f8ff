/** What the many-database tests share: a targets file in a project, the --json per target, no ledger left. */
import assert from 'node:assert/strict';
import type { TestDatabase } from './database.js';
import { tableExists } from './inspect.js';
import type { CliResult, Project } from './project.js';

/** A target nothing listens on: connecting fails at once. */
export const NOWHERE = 'postgres://u@127.0.0.1:1/x';

/** One target of a many-database run's --json. */
export interface TargetJson {
  readonly name: string;
  readonly outcome: string;
  readonly exitStatus: number | null;
  readonly before?: number | null;
  readonly after?: number | null;
  readonly migrations: ReadonlyArray<{ readonly direction: string; readonly version: number }>;
  readonly skippedBecause?: string;
  readonly error?: { readonly code: string; readonly message: string; readonly exitStatus: number };
  readonly status?: { readonly entries: ReadonlyArray<{ readonly version: number; readonly state: string }> };
  readonly problems?: ReadonlyArray<{ readonly code: string }>;
  readonly drift?: { readonly drift: boolean };
}

export function targetsOf(run: CliResult): TargetJson[] {
  return (JSON.parse(run.stdout) as { targets: TargetJson[] }).targets;
}

/** Writes a targets file into the project; returns its name, for --targets. */
export async function targetsFile(where: Project, name: string, text: string): Promise<string> {
  await where.write(name, text);
  return name;
}

/** Nothing ran there: not even the ledger was created. */
export async function noLedgers(...dbs: readonly TestDatabase[]): Promise<void> {
  for (const db of dbs) assert.equal(await tableExists(db.sql, 'schema_migrations'), false, `${db.name} has a ledger`);
}
