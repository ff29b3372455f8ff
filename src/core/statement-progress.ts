/**
 * What a long statement is doing, from what the server publishes about its backend: the command, phase and
 * counts of a pg_stat_progress_* view, the percentage and time left of that phase, or the sessions it waits
 * behind. Pure: the probe (db/statement-probe.ts) reads the rows, this says what they mean.
 */

/** A session another one waits behind: never its query text, which is theirs. */
export interface LockHolderSeen {
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
  /** What done and total count: `blocks`, `tuples`, `bytes`, `lockers`, `partitions`. */
  readonly unit?: string;
  readonly percent?: number;
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

/** The counts each view's phases advance, most telling first: the first pair with a total is the one shown. */
const COUNTS: Readonly<Record<ProgressView, ReadonlyArray<readonly [done: string, total: string, unit: string]>>> = {
  create_index: [
    ['blocks_done', 'blocks_total', 'blocks'],
    ['tuples_done', 'tuples_total', 'tuples'],
    ['lockers_done', 'lockers_total', 'lockers'],
    ['partitions_done', 'partitions_total', 'partitions'],
  ],
  cluster: [['heap_blks_scanned', 'heap_blks_total', 'blocks']],
  vacuum: [
    ['heap_blks_scanned', 'heap_blks_total', 'blocks'],
  ],
  analyze: [
    ['sample_blks_scanned', 'sample_blks_total', 'blocks'],
    ['child_tables_done', 'child_tables_total', 'child tables'],
  ],
  copy: [['bytes_processed', 'bytes_total', 'bytes']],
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
  const counted = countsOf(view, row);
  const key = `${view} ${phase ?? ''} ${counted?.unit ?? ''}`;
  const next = counted === undefined ? undefined : mark?.key === key ? mark : { key, atMs: nowMs, done: counted.done };
  const progress: StatementProgress = {
    elapsedMs: probe.runningMs,
    command,
    ...(probe.relation === undefined ? {} : { relation: probe.relation }),
    ...(phase === undefined ? {} : { phase }),
    ...(counted === undefined ? {} : { ...counted, percent: Math.min(100, Math.floor((counted.done / counted.total) * 100)) }),
    ...secondsLeft(counted, next, nowMs),
    ...waiting,
  };
  return { progress, mark: next };
}

function countsOf(view: ProgressView, row: Readonly<Record<string, unknown>>): Counted | undefined {
  for (const [done, total, unit] of COUNTS[view]) {
    const of = Number(row[total] ?? 0);
    if (Number.isFinite(of) && of > 0) return { done: Math.max(0, Number(row[done] ?? 0)), total: of, unit };
  }
  return undefined;
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

/** The whole run's time left, from the files done so far: their average, times the files still to run. */
export function runSecondsLeft(filesDone: number, filesTotal: number, elapsedMs: number): number | undefined {
  if (filesDone === 0 || filesDone >= filesTotal) return undefined;
  return Math.ceil(((filesTotal - filesDone) * elapsedMs) / filesDone / 1000);
}
