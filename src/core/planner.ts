/**
 * Decides what to run from the files on disk and the ledger's rows. Pure: no I/O, no clock, no driver.
 * Every plan is validated first; any problem stops it with the full list and nothing run.
 */
import type { Catalog } from './catalog.js';
import { failValidation, PgshiftError, type Problem } from './errors.js';
import { scriptProblems } from './script-checks.js';
import type { LedgerRow, SqlFile, StatusEntry } from './types.js';

export interface UpOptions {
  /** Stop after this version. */
  readonly to?: number;
  /** Apply only this file (`--migration PATH`), even below the highest applied version. */
  readonly only?: SqlFile;
}

export interface DownOptions {
  readonly steps?: number;
  /** Revert every applied version above this one (0 reverts all). */
  readonly to?: number;
  readonly all?: boolean;
}

export interface DownStep {
  readonly applied: LedgerRow;
  readonly rollback: SqlFile;
}

/** Problems of the files themselves and of the ledger against them: drift, missing files, order. */
export function ledgerProblems(
  catalog: Catalog,
  ledger: readonly LedgerRow[],
  { checkOrder = true }: { readonly checkOrder?: boolean } = {},
): Problem[] {
  const problems = [...catalog.problems];
  const files = new Map(catalog.migrations.map((file) => [file.version, file]));
  let highestApplied: LedgerRow | undefined;
  for (const row of ledger) {
    if (!highestApplied || row.version > highestApplied.version) highestApplied = row;
    const file = files.get(row.version);
    if (!file) {
      problems.push({
        code: 'MIGRATION_MISSING',
        version: row.version,
        message: `version ${row.version} (${row.name}) is applied but no migration file has that version`,
        hint: `restore migrations/${String(row.version).padStart(3, '0')}_${row.name}.sql from version control; pgshift will not run against history it cannot see`,
      });
    } else if (file.checksum !== row.checksum) {
      problems.push({
        code: 'CHECKSUM_MISMATCH',
        file: file.path,
        version: row.version,
        message: `${file.path} was applied with checksum ${row.checksum.slice(0, 12)}… but now hashes to ${file.checksum.slice(0, 12)}…`,
        hint: 'an applied migration must not change: restore it (git checkout) and put the change in a new migration',
      });
    }
  }
  if (checkOrder && highestApplied) {
    const applied = new Set(ledger.map((row) => row.version));
    for (const file of catalog.migrations) {
      if (file.version < highestApplied.version && !applied.has(file.version)) {
        problems.push({
          code: 'OUT_OF_ORDER',
          file: file.path,
          version: file.version,
          message: `${file.path} is pending but version ${highestApplied.version} (${highestApplied.name}) is already applied`,
          hint: `renumber it above ${highestApplied.version}, or apply it on purpose with: pgshift up --migration ${file.path}`,
        });
      }
    }
  }
  return problems;
}

/** Everything `validate` reports: ledger problems plus script problems in every file. */
export function validationProblems(catalog: Catalog, ledger: readonly LedgerRow[]): Problem[] {
  return [
    ...ledgerProblems(catalog, ledger),
    ...catalog.migrations.flatMap((file) => scriptProblems(file)),
    ...[...catalog.rollbacks.values()].flatMap((file) => scriptProblems(file)),
  ];
}

export function planUp(catalog: Catalog, ledger: readonly LedgerRow[], options: UpOptions = {}): SqlFile[] {
  const { only, to } = options;
  const problems = ledgerProblems(catalog, ledger, { checkOrder: only === undefined });
  const applied = new Map(ledger.map((row) => [row.version, row]));
  if (to !== undefined && !catalog.migrations.some((file) => file.version === to)) {
    throw new PgshiftError('USAGE', `--to ${to}: no migration has version ${to}`, {
      hint: 'pass the version of an existing migration file (pgshift status lists them)',
    });
  }

  let pending: SqlFile[];
  if (only) {
    const row = applied.get(only.version);
    if (row && row.checksum !== only.checksum) {
      problems.push({
        code: 'CHECKSUM_MISMATCH',
        file: only.path,
        version: only.version,
        message: `${only.path}: version ${only.version} (${row.name}) was applied with checksum ${row.checksum.slice(0, 12)}… but this file hashes to ${only.checksum.slice(0, 12)}…`,
        hint: 'an applied migration must not change: put the change in a new migration',
      });
    }
    pending = row ? [] : [only];
  } else {
    pending = catalog.migrations.filter((file) => !applied.has(file.version) && (to === undefined || file.version <= to));
  }

  problems.push(...pending.flatMap((file) => scriptProblems(file)));
  if (problems.length > 0) failValidation(problems);
  return pending;
}

export function planDown(catalog: Catalog, ledger: readonly LedgerRow[], options: DownOptions = {}): DownStep[] {
  const problems = ledgerProblems(catalog, ledger, { checkOrder: false });
  const newestFirst = [...ledger].sort((a, b) => b.version - a.version);
  let targets: LedgerRow[];
  if (options.all) {
    targets = newestFirst;
  } else if (options.to !== undefined) {
    const { to } = options;
    if (to !== 0 && !ledger.some((row) => row.version === to)) {
      throw new PgshiftError('USAGE', `--to ${to}: version ${to} is not applied`, {
        hint: 'pass an applied version to keep (pgshift status lists them), or 0 to revert everything',
      });
    }
    targets = newestFirst.filter((row) => row.version > to);
  } else {
    const steps = options.steps ?? 1;
    if (!Number.isInteger(steps) || steps < 1) {
      throw new PgshiftError('USAGE', `--steps ${steps}: expected a whole number of 1 or more`);
    }
    targets = newestFirst.slice(0, steps);
  }

  const steps: DownStep[] = [];
  for (const applied of targets) {
    const rollback = catalog.rollbacks.get(applied.version);
    if (rollback) {
      steps.push({ applied, rollback });
      problems.push(...scriptProblems(rollback));
    } else {
      problems.push({
        code: 'ROLLBACK_MISSING',
        version: applied.version,
        message: `version ${applied.version} (${applied.name}) has no rollback file, so nothing was reverted`,
        hint: `write rollbacks/${String(applied.version).padStart(3, '0')}_${applied.name}.sql that undoes it`,
      });
    }
  }
  if (problems.length > 0) failValidation(problems);
  return steps;
}

export function statusOf(catalog: Catalog, ledger: readonly LedgerRow[]): StatusEntry[] {
  const rows = new Map(ledger.map((row) => [row.version, row]));
  const entries: StatusEntry[] = catalog.migrations.map((file) => {
    const row = rows.get(file.version);
    rows.delete(file.version);
    return {
      version: file.version,
      name: file.name,
      state: !row ? 'pending' : row.checksum === file.checksum ? 'applied' : 'changed',
      path: file.path,
      appliedAt: row?.appliedAt,
      executionMs: row?.executionMs,
      checksum: row?.checksum ?? file.checksum,
      hasRollback: catalog.rollbacks.has(file.version),
    };
  });
  for (const row of rows.values()) {
    entries.push({
      version: row.version,
      name: row.name,
      state: 'missing',
      path: undefined,
      appliedAt: row.appliedAt,
      executionMs: row.executionMs,
      checksum: row.checksum,
      hasRollback: catalog.rollbacks.has(row.version),
    });
  }
  return entries.sort((a, b) => a.version - b.version);
}
