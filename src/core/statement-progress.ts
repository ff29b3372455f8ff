/**
 * What a long statement is doing, from what the server publishes about its backend: the command, phase and
 * counts of a pg_stat_progress_* view, the percentage and time left of that phase, or the sessions it waits
 * behind. Pure: the probe (db/statement-probe.ts) reads the rows, this says what they mean.
 */

/** A session another one waits behind: never its query text, which is theirs. */
export interface LockHolderSeen {
  /** 0: a prepared transaction (PREPARE TRANSACTION), which has no session; `application` is then its gid. */
  readonly pid: number;
  readonly application: string;
  readonly user: string;
  /** Null when the server hides it from this role (another role's session, without pg_read_all_stats). */
  readonly state: string | null;
  /** How long its transaction has been open; null when hidden, or outside a transaction. */
  readonly seconds: number | null;
}

/** One reading of the running backend. `progress` is the row of the progress view that names it, as JSON. */
export interface StatementProbe {
  readonly runningMs: number;
  readonly waitEventType: string | null;
  readonly holders: readonly LockHolderSeen[];
  readonly view: ProgressView | undefined;
  readonly row: Readonly<Record<string, unknown>> | undefined;
  /** The relation the view names, as the server spells it; undefined when not visible to this session yet. */
  readonly relation: string | undefined;
}

export type ProgressView = 'create_index' | 'cluster' | 'vacuum' | 'analyze' | 'copy';

/** The views that exist from each PostgreSQL major version on. */
export const PROGRESS_VIEWS: ReadonlyArray<{ readonly view: ProgressView; readonly since: number }> = [
  { view: 'vacuum', since: 10 },
  { view: 'create_index', since: 12 },
  { view: 'cluster', since: 12 },
  { view: 'analyze', since: 13 },
  { view: 'copy', since: 14 },
];

/** What is known of a statement running for more than a second. */
export interface StatementProgress {
  readonly elapsedMs: number;
  /** `CREATE INDEX`, `VACUUM`, `COPY FROM`...: only where a progress view names the backend. */
  readonly command?: string;
  readonly relation?: string;
  readonly phase?: string;
  readonly done?: number;
  readonly total?: number;
  /** What done and total count: `blocks`, `tuples`, `bytes`, `lockers`, `child tables`, `statistics`. */
  readonly unit?: string;
  readonly percent?: number;
  /** Of a partitioned table: the partitions done of all (the counts are the current partition's). */
  readonly partition?: { readonly done: number; readonly total: number };
  /** Left in this phase at the rate seen since it began; absent until two readings in the phase. */
  readonly phaseSecondsLeft?: number;
  /** Sessions the statement waits behind for a lock, while it does. */
  readonly waitingFor?: readonly LockHolderSeen[];
}

/** Where a phase started: its first reading's time and count, for the rate. */
export interface PhaseMark {
  readonly key: string;
  readonly atMs: number;
  readonly done: number;
}

type Counted = { readonly done: number; readonly total: number; readonly unit: string };

/**
 * The count each phase advances, by view: the first rule whose phase matches and whose total is known is
 * shown. A phase with none (sorting, rebuilding an index) shows no count rather than the last phase's.
 */
type CountRule = readonly [phase: RegExp, done: string, total: string, unit: string];
const COUNTS: Readonly<Record<ProgressView, readonly CountRule[]>> = {
  create_index: [
    [/scanning table|validation: scanning/, 'blocks_done', 'blocks_total', 'blocks'],
    [/loading tuples|validation: sorting|validation: scanning index/, 'tuples_done', 'tuples_total', 'tuples'],
    [/^waiting for/, 'lockers_done', 'lockers_total', 'lockers'],
  ],
  cluster: [[/seq scanning heap/, 'heap_blks_scanned', 'heap_blks_total', 'blocks']],
  vacuum: [
    [/scanning heap/, 'heap_blks_scanned', 'heap_blks_total', 'blocks'],
    [/vacuuming heap/, 'heap_blks_vacuumed', 'heap_blks_total', 'blocks'],
  ],
  analyze: [
    [/acquiring sample rows/, 'sample_blks_scanned', 'sample_blks_total', 'blocks'],
    [/acquiring inherited sample rows/, 'child_tables_done', 'child_tables_total', 'child tables'],
    [/extended statistics/, 'ext_stats_computed', 'ext_stats_total', 'statistics'],
  ],
  copy: [[/.*/, 'bytes_processed', 'bytes_total', 'bytes']],
};

const COMMANDS: Readonly<Record<ProgressView, string>> = {
  create_index: 'CREATE INDEX',
  cluster: 'CLUSTER',
  vacuum: 'VACUUM',
  analyze: 'ANALYZE',
  copy: 'COPY',
};

/**
 * The progress of one reading, and the phase mark to keep for the next (`mark`): the time left is the rate
 * since the phase's first reading carried to its total.
 */
export function describeStatement(probe: StatementProbe, mark: PhaseMark | undefined, nowMs: number): { readonly progress: StatementProgress; readonly mark: PhaseMark | undefined } {
  const waiting = probe.waitEventType === 'Lock' && probe.holders.length > 0 ? { waitingFor: probe.holders } : {};
  if (probe.view === undefined || probe.row === undefined) return { progress: { elapsedMs: probe.runningMs, ...waiting }, mark: undefined };
  const { view, row } = probe;
  const phase = text(row['phase']);
  const command = text(row['command']) ?? COMMANDS[view];
  const counted = countsOf(view, row, phase ?? '');
  const partitions = partitionsOf(row);
  const key = `${view} ${phase ?? ''} ${counted?.unit ?? ''} ${String(row['partitions_done'] ?? '')}`;
  const next = counted === undefined ? undefined : mark?.key === key ? mark : { key, atMs: nowMs, done: counted.done };
  const progress: StatementProgress = {
    elapsedMs: probe.runningMs,
    command,
    ...(probe.relation === undefined ? {} : { relation: probe.relation }),
    ...(phase === undefined ? {} : { phase }),
    ...partitions,
    ...(counted === undefined ? {} : { ...counted, percent: Math.min(100, Math.floor((counted.done / counted.total) * 100)) }),
    ...secondsLeft(counted, next, nowMs),
    ...waiting,
  };
  return { progress, mark: next };
}

function countsOf(view: ProgressView, row: Readonly<Record<string, unknown>>, phase: string): Counted | undefined {
  for (const [matches, done, total, unit] of COUNTS[view]) {
    if (!matches.test(phase)) continue;
    const of = Number(row[total] ?? 0);
    if (Number.isFinite(of) && of > 0) return { done: Math.max(0, Number(row[done] ?? 0)), total: of, unit };
  }
  return undefined;
}

/** A partitioned table's index is built a partition at a time: each phase's counts are the partition's. */
function partitionsOf(row: Readonly<Record<string, unknown>>): { partition?: { readonly done: number; readonly total: number } } {
  const total = Number(row['partitions_total'] ?? 0);
  return Number.isFinite(total) && total > 0 ? { partition: { done: Number(row['partitions_done'] ?? 0), total } } : {};
}

function secondsLeft(counted: Counted | undefined, mark: PhaseMark | undefined, nowMs: number): { phaseSecondsLeft?: number } {
  if (counted === undefined || mark === undefined) return {};
  const spentMs = nowMs - mark.atMs;
  const advanced = counted.done - mark.done;
  if (spentMs <= 0 || advanced <= 0) return {};
  return { phaseSecondsLeft: Math.ceil(((counted.total - counted.done) * spentMs) / advanced / 1000) };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The whole run's time left: the files still to run at the average of those finished (`doneAtMs` is when
 * the last of them finished), less what the running one has had already; never below zero.
 */
export function runSecondsLeft(run: { readonly done: number; readonly total: number; readonly doneAtMs: number; readonly nowMs: number }): number | undefined {
  if (run.done === 0 || run.done >= run.total) return undefined;
  const perFile = run.doneAtMs / run.done;
  return Math.max(0, Math.ceil((perFile * (run.total - run.done) - (run.nowMs - run.doneAtMs)) / 1000));
}
