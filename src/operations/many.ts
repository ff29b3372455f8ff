/**
 * `migrateMany`: one command on many targets, `parallel` at a time, each through the same operation a
 * single target runs (its own connection, ledger and lock), so a target that fails, cannot be reached or is
 * locked never stops another. There is no state of its own: the ledgers are the state, and a rerun does
 * only what is still pending.
 */
import type { ManyOptions, ManyResult, Target, TargetEvent, TargetResult } from '../migrator-types.js';
import { DEFAULTS } from '../config/defaults.js';
import { MANY_COMMANDS } from '../core/types.js';
import { resolveOptions, type ResolvedOptions } from '../config/migrator-options.js';
import { defined } from '../core/defined.js';
import { PgshiftError } from '../core/errors.js';
import type { Logger, LogFields } from '../core/logger.js';
import { Memo } from '../core/memo.js';
import { checkNumber } from '../core/numbers.js';
import { schedule, type SkipReason } from './many-schedule.js';
import { runTarget } from './many-target.js';

export async function migrateMany(targets: readonly Target[], options: ManyOptions = {}): Promise<ManyResult> {
  const parallel = options.parallel ?? DEFAULTS.parallel;
  checkNumber('parallel', parallel, 'count');
  if (parallel < 1) throw new PgshiftError('USAGE', `--parallel ${parallel} runs nothing`, { hint: 'give --parallel 1 or more' });
  if (options.canary !== undefined) checkNumber('canary', options.canary, 'count');
  const command = options.command ?? 'up';
  if (!(MANY_COMMANDS as readonly string[]).includes(command)) {
    throw new PgshiftError('USAGE', `migrateMany runs ${MANY_COMMANDS.join(', ')}, not ${String(command)}`, { hint: 'run other commands on one database at a time (createMigrator)' });
  }
  // Every target's options are checked before any target connects: a wrong one stops the run with nothing done.
  const findings = new Set<string>();
  const memo = new Memo();
  const ledgers = new Map<string, string>();
  const contexts = targets.map((target) => ({ ...contextFor(target, options, findings), memo }));
  refuseDuplicateNames(targets);
  const emit = (event: TargetEvent): void => options.onEvent?.(event);
  let failed = false;
  const stopReason = (): SkipReason | undefined => (options.signal?.aborted ? 'interrupted' : failed && options.failFast === true ? 'fail-fast' : undefined);
  const runOne = async (index: number): Promise<TargetResult> => {
    const target = targets[index] as Target;
    emit({ type: 'started', name: target.name });
    const result = await runTarget(target.name, contexts[index] as ResolvedOptions, options, (path) => emit({ type: 'file', name: target.name, path }), ledgers);
    if (result.outcome !== 'ok') failed = true;
    emit({ type: 'finished', result });
    return result;
  };
  const skip = (index: number, reason: SkipReason): TargetResult => {
    const result: TargetResult = { name: (targets[index] as Target).name, outcome: 'skipped', skippedBecause: reason, migrations: [], durationMs: 0 };
    emit({ type: 'finished', result });
    return result;
  };
  const indexes = targets.map((_, index) => index);
  const canary = Math.min(options.canary ?? 0, targets.length);
  const first = await schedule(indexes.slice(0, canary), parallel, runOne, skip, stopReason);
  const canaryFailed = first.some((result) => result.outcome !== 'ok');
  const rest = await schedule(indexes.slice(canary), parallel, runOne, skip, () => (canaryFailed ? 'canary' : stopReason()));
  return { targets: [...first, ...rest] };
}

/** The target's own options: the shared ones with its database, its schema and a logger that names it. */
function contextFor(target: Target, options: ManyOptions, findings: Set<string>): ResolvedOptions {
  if (target.schema !== undefined && options.schema !== undefined) {
    throw new PgshiftError('USAGE', `the target ${target.name} names its own schema, and --schema names another`, {
      hint: 'leave --schema out when the targets are schemas (--targets-query returning schema names)',
    });
  }
  if (target.schema !== undefined && options.table?.includes('.') === true) {
    throw new PgshiftError('USAGE', `--table ${options.table} names a schema, so every tenant schema would share that one ledger`, {
      hint: 'give --table without a schema (each tenant schema keeps its own ledger), or leave it out',
    });
  }
  return resolveOptions({
    ...options,
    database: { ...target.database, targetName: target.name },
    ...defined({ schema: target.schema ?? options.schema, logger: namedLogger(options.logger, target.name, findings) }),
  });
}

function refuseDuplicateNames(targets: readonly Target[]): void {
  const seen = new Set<string>();
  for (const { name } of targets) {
    if (seen.has(name)) throw new PgshiftError('USAGE', `two targets are named ${name}`, { hint: 'give every target a name of its own' });
    seen.add(name);
  }
}

/**
 * Each line a target logs starts with its name, so interleaved lines stay readable. A lint finding is about
 * a file, not a database: it is logged once for the run, however many targets find it.
 */
function namedLogger(logger: Logger | undefined, name: string, findings: Set<string>): Logger | undefined {
  if (logger === undefined) return undefined;
  const named =
    (level: keyof Logger) =>
    (message: string, fields?: LogFields): void => {
      if (fields?.['rule'] === undefined) return logger[level](`${name}: ${message}`, { ...fields, targetName: name });
      if (findings.has(message)) return;
      findings.add(message);
      logger[level](message, fields);
    };
  return { debug: named('debug'), info: named('info'), warn: named('warn'), error: named('error') };
}
