/** One target of a many-database run: its command, and what it did as a TargetResult, never as a throw. */
import type { ManyOptions, TargetResult } from '../migrator-types.js';
import type { ResolvedOptions } from '../config/migrator-options.js';
import { defined } from '../core/defined.js';
import { isPgshiftError, PgshiftError } from '../core/errors.js';
import type { MigrationResult } from '../core/types.js';
import { down } from './down.js';
import { drift } from './drift.js';
import type { RunObserver } from './run.js';
import { status } from './status.js';
import { up } from './up.js';
import { validate } from './validate.js';

type Found = Pick<TargetResult, 'status' | 'problems' | 'drift'> & { readonly migrations?: readonly MigrationResult[]; readonly error?: PgshiftError };

/**
 * `ledgers`: every ledger a target of this run has found, by its identity, with the target's name. A second
 * target reaching the same ledger by another way (localhost and 127.0.0.1, two names) stops before it
 * reads it: one database must not be migrated, or reverted, twice in one run.
 */
export async function runTarget(name: string, context: ResolvedOptions, options: ManyOptions, onFile: (path: string) => void, ledgers: Map<string, string>): Promise<TargetResult> {
  const started = performance.now();
  let firstRead: readonly number[] | undefined;
  let lastRead: readonly number[] | undefined;
  const observer: RunObserver = {
    ledgerRead: (versions) => {
      firstRead ??= versions;
      lastRead = versions;
    },
    fileStarted: onFile,
    ledgerFound: (identity, where) => {
      const other = ledgers.get(identity);
      if (other !== undefined && other !== name) {
        throw new PgshiftError('USAGE', `the target ${name} is the database ${where}, with the same ledger as the target ${other}: it would be migrated twice`, {
          hint: 'list each database once (a host name and its address, or two names, reach the same database)',
        });
      }
      ledgers.set(identity, name);
    },
  };
  let found: Found;
  try {
    found = await runCommand(context, options, observer);
  } catch (caught) {
    const error = asTargetError(caught);
    found = { error, migrations: error.applied };
  }
  const migrations = found.migrations ?? [];
  const { error } = found;
  const outcome = error === undefined ? 'ok' : error.code === 'INTERRUPTED' ? 'interrupted' : 'failed';
  // Every version the ledger holds, also one whose file changed or is gone since.
  const applied = found.status?.entries.filter((entry) => IN_LEDGER.has(entry.state)).map((entry) => entry.version);
  const before = firstRead ?? applied;
  const after = lastRead === undefined ? applied : versionsAfter(lastRead, migrations);
  return {
    name,
    outcome,
    migrations,
    durationMs: Math.round(performance.now() - started),
    ...defined({ before: highest(before), after: highest(after), error, status: found.status, problems: found.problems, drift: found.drift }),
  };
}

const IN_LEDGER: ReadonlySet<string> = new Set(['applied', 'changed', 'missing']);

async function runCommand(context: ResolvedOptions, options: ManyOptions, observer: RunObserver): Promise<Found> {
  const signal = options.signal;
  switch (options.command ?? 'up') {
    case 'up':
      return { migrations: (await up(context, { ...options.up, ...defined({ signal }), observer })).migrations };
    case 'down':
      return { migrations: (await down(context, { ...options.down, ...defined({ signal }), observer })).migrations };
    case 'status':
      return { status: await status(context, defined({ signal })) };
    case 'validate': {
      const problems = await validate(context, defined({ signal }));
      return { problems, ...defined({ error: problems.length === 0 ? undefined : problemsError(problems.length) }) };
    }
    case 'drift': {
      const report = await drift(context, { ...options.drift, ...defined({ signal }) });
      const error = report.drift ? new PgshiftError('VALIDATION_FAILED', `the database differs from its migrations (${report.differences.length} differences)`, { hint: 'run pgshift drift on this target alone to see them' }) : undefined;
      return { drift: report, ...defined({ error }) };
    }
  }
}

function problemsError(count: number): PgshiftError {
  return new PgshiftError('VALIDATION_FAILED', `${count} ${count === 1 ? 'problem' : 'problems'} found in migrations and ledger`, {
    hint: 'run pgshift validate on this target alone to see them',
  });
}

/** A failure that is not pgshift's own is a bug; it fails this target, not the run of all the others. */
function asTargetError(caught: unknown): PgshiftError {
  if (isPgshiftError(caught)) return caught;
  const message = caught instanceof Error ? caught.message : String(caught);
  return new PgshiftError('DATABASE_ERROR', `unexpected error (please report it): ${message}`, { cause: caught });
}

/** The ledger after the run: as last read, with what this run applied added and what it reverted taken away. */
function versionsAfter(read: readonly number[], migrations: readonly MigrationResult[]): number[] {
  const versions = new Set(read);
  for (const { direction, version } of migrations) {
    if (direction === 'up') versions.add(version);
    else versions.delete(version);
  }
  return [...versions];
}

function highest(versions: readonly number[] | undefined): number | null | undefined {
  if (versions === undefined) return undefined;
  return versions.length === 0 ? null : Math.max(...versions);
}
