/**
 * The lock trace's verdicts: from what each statement of a migration did on a scratch copy (executor/trace.ts
 * records it), the locks each file holds and for how long, and the findings, in lint's format and under
 * lint's suppressions and configuration. Pure: the sizes of the target's tables are read by the caller.
 */
import { allowsBetween } from '../core/allow.js';
import { defined } from '../core/defined.js';
import { describeSize } from '../core/sizes.js';
import {
  blocksWrites,
  isTable,
  lockName,
  locksTaken,
  relationKey,
  type AllowedTraceFinding,
  type CatalogChange,
  type FileTrace,
  type HeldLock,
  type LockMode,
  type RelationSize,
  type StatementTrace,
  type TraceFileReport,
  type TraceFinding,
  type TraceHold,
  type TraceReport,
  type TracedRelation,
} from '../core/trace-types.js';
import type { LintConfig } from './lint.js';
import { RULE_BY_ID, type RuleId } from './rules/index.js';
import { TRACE_RULE_BY_ID, type TraceRule, type TraceRuleId } from './trace-rules.js';

export interface TraceOptions {
  /** The target's relations by relationKey; undefined when no target was weighed (every case is a finding). */
  readonly sizes: ReadonlyMap<string, RelationSize> | undefined;
  /** Bytes: a table smaller than this on the target is no finding. */
  readonly big: number;
  readonly config: LintConfig;
}

export function traceReport(traces: readonly { trace: FileTrace; text: string }[], options: TraceOptions): TraceReport {
  const findings: TraceFinding[] = [];
  const allowed: AllowedTraceFinding[] = [];
  const files = traces.map(({ trace, text }) => {
    const judged = withRewriteLocks(trace);
    for (const finding of fileFindings(judged, text, options)) {
      if ('reason' in finding) allowed.push(finding);
      else findings.push(finding);
    }
    return { ...trace, holds: holdsOf(judged, options.sizes) } satisfies TraceFileReport;
  });
  return { files, findings, allowed, weighed: options.sizes !== undefined, big: options.big };
}

/**
 * A statement that ran alone (VACUUM FULL) released its locks before they could be read, but a table's
 * rewrite was seen in the catalogs, and PostgreSQL rewrites a table only under ACCESS EXCLUSIVE: that lock is
 * judged as held. The statement's own record keeps what was observed.
 */
function withRewriteLocks(trace: FileTrace): FileTrace {
  const statements = trace.statements.map((statement) => {
    if (statement.observed !== 'unobserved') return statement;
    const rewritten = statement.changes.flatMap((change) => (change.kind === 'rewrite' && isTable(change.relation) ? [change.relation] : []));
    return rewritten.length === 0 ? statement : { ...statement, locks: [...statement.locks, ...rewritten.map((relation) => ({ relation, mode: 'AccessExclusiveLock' as const }))] };
  });
  return { ...trace, statements };
}

/** The rules a trace finding may name: lint's where one says more precisely what the statement did, else the trace's own. */
const RULE_INFO: Readonly<Record<RuleId | TraceRuleId, TraceRule>> = { ...RULE_BY_ID, ...TRACE_RULE_BY_ID };

type Change<Kind extends CatalogChange['kind']> = Extract<CatalogChange, { kind: Kind }>;

interface Verdict {
  readonly rule: RuleId | TraceRuleId;
  /** What the message says the statement did: held a lock, rewrote the table, or read all its rows (`of` another table's, for a foreign key). */
  readonly action: { readonly kind: 'lock' | 'rewrite' } | { readonly kind: 'check'; readonly what: string; readonly of?: string } | { readonly kind: 'index'; readonly index: string };
}

const LOCK = { kind: 'lock' } as const;

/**
 * The one finding a statement gives about a table holding a lock that blocks writes, under the most specific
 * rule: a rewrite, an index build or a check of every row whenever it happens; anything else only when the statement newly
 * took or strengthened the lock (a lock held since an earlier statement was found there).
 */
function classify(changes: readonly CatalogChange[], key: string, newly: boolean): Verdict | undefined {
  const on = (relation: TracedRelation | undefined): boolean => relation !== undefined && relationKey(relation) === key;
  const mine = changes.filter((change) => (change.kind === 'rewrite' ? on(change.relation) || change.relation.table === key : on(change.table)));
  const first = <Kind extends CatalogChange['kind']>(kind: Kind, test: (change: Change<Kind>) => boolean = () => true): Change<Kind> | undefined =>
    mine.filter((change): change is Change<Kind> => change.kind === kind).find(test);
  if (first('rewrite')) return { rule: first('column-type') ? 'alter-column-type' : first('column-added') ? 'volatile-default' : 'table-rewrite', action: { kind: 'rewrite' } };
  // A foreign key reads the referenced table for every row of the referencing one, under locks on both.
  const checked = changes.find(
    (change): change is Change<'constraint-added'> => change.kind === 'constraint-added' && change.validated && (change.type === 'check' || change.type === 'foreign key') && (on(change.table) || on(change.references)),
  );
  if (checked) return { rule: 'constraint-not-valid', action: { kind: 'check', what: `constraint ${checked.constraint}`, ...defined({ of: on(checked.table) ? undefined : relationKey(checked.table) }) } };
  // Building an index reads the whole table while the lock is held, whenever the lock was taken.
  const built = first('index-created');
  const unique = first('constraint-added', (change) => change.type === 'unique' || change.type === 'primary key');
  if (built) return { rule: unique ? 'unique-constraint' : 'index-not-concurrent', action: newly ? LOCK : { kind: 'index', index: built.index } };
  // A column added NOT NULL in the same statement has no rows to check.
  const notNull = first('not-null-set', ({ column }) => !first('column-added', (added) => added.column === column));
  if (notNull) return { rule: 'set-not-null', action: { kind: 'check', what: `NOT NULL on column ${notNull.column}` } };
  const validated = first('constraint-validated');
  if (validated) return { rule: 'validates-rows', action: { kind: 'check', what: `constraint ${validated.constraint}` } };
  if (!newly) return undefined;
  return { rule: first('index-dropped') ? 'index-not-concurrent' : 'lock-blocks-writes', action: LOCK };
}

function sizeOf(relation: TracedRelation, sizes: TraceOptions['sizes']): RelationSize | 'absent' | undefined {
  return sizes === undefined ? undefined : (sizes.get(relationKey(relation)) ?? 'absent');
}

/**
 * Per relation, the strongest mode and the statement that first took it. A transaction holds every lock
 * until it commits, after the file's last statement; in a no-transaction file each statement commits and
 * its locks end with it.
 */
function holdsOf(trace: FileTrace, sizes: TraceOptions['sizes']): TraceHold[] {
  const hold = (lock: HeldLock, from: number, to: number, untilCommit: boolean): TraceHold => ({
    relation: lock.relation,
    mode: lock.mode,
    from,
    to,
    untilCommit,
    ...defined({ size: sizeOf(lock.relation, sizes) }),
  });
  if (!trace.transaction) return trace.statements.flatMap((statement) => statement.locks.map((lock) => hold(lock, statement.number, statement.number, false)));
  const last = trace.statements.at(-1)?.number ?? 0;
  const taken = new Map<string, { lock: HeldLock; from: number }>();
  for (const statement of trace.statements) strengthen(taken, statement);
  return [...taken.values()].map(({ lock, from }) => hold(lock, from, last, true));
}

/** Records in `taken` the locks the statement newly took or strengthened; returns their relations' keys. */
function strengthen(taken: Map<string, { lock: HeldLock; from: number }>, statement: StatementTrace): Set<string> {
  const newly = locksTaken([...taken.values()].map(({ lock }) => lock), statement.locks);
  for (const lock of newly) taken.set(relationKey(lock.relation), { lock, from: statement.number });
  return new Set(newly.map((lock) => relationKey(lock.relation)));
}

/** Every finding of one file, those a `-- pgshift:allow` silenced with their reason. */
function fileFindings(trace: FileTrace, text: string, options: TraceOptions): Array<TraceFinding | AllowedTraceFinding> {
  const last = trace.statements.at(-1)?.number ?? 0;
  const results: Array<TraceFinding | AllowedTraceFinding> = [];
  let taken = new Map<string, { lock: HeldLock; from: number }>();
  trace.statements.forEach((statement, index) => {
    if (!trace.transaction) taken = new Map();
    const newly = strengthen(taken, statement);
    const allows = allowsBetween(text, trace.statements[index - 1]?.end ?? 0, statement.start);
    for (const lock of statement.locks) {
      const key = relationKey(lock.relation);
      if (!isTable(lock.relation) || !blocksWrites(lock.mode)) continue;
      const verdict = classify(statement.changes, key, newly.has(key));
      const size = sizeOf(lock.relation, options.sizes);
      // An unknown size (never vacuumed or analyzed) is not a small one.
      if (!verdict || size === 'absent' || (size !== undefined && size.rows !== undefined && size.bytes < options.big)) continue;
      // A lock that does no work of its own (no rewrite, scan or index build) and ends with the statement is
      // held for an instant: lock_timeout deals with the queue it waits in. It matters when the file goes on under it.
      if (verdict.rule === 'lock-blocks-writes' && (!trace.transaction || statement.number === last)) continue;
      const held = trace.transaction ? heldUntilCommit(taken.get(key)?.from ?? statement.number, last) : `for statement ${statement.number} only`;
      const finding = configured(trace.path, statement, key, verdict, message(verdict, `${key}${sizeText(size)}`, lock.mode, held), options.config);
      const reason = allows.find((allow) => allow.rule === finding?.rule && allow.reason !== undefined)?.reason;
      if (finding) results.push(reason === undefined ? finding : { ...finding, reason });
    }
  });
  return results;
}

function heldUntilCommit(from: number, last: number): string {
  const count = last - from + 1;
  return `held from statement ${from} to commit (${count} ${count === 1 ? 'statement' : 'statements'})`;
}

function sizeText(size: RelationSize | undefined): string {
  return size === undefined ? '' : ` (${describeSize(size)})`;
}

function message(verdict: Verdict, table: string, mode: LockMode, held: string): string {
  const lock = lockName(mode);
  switch (verdict.action.kind) {
    case 'lock':
      return `${lock} on ${table} ${held}`;
    case 'rewrite':
      return `rewrites ${table} under ${lock}, ${held}`;
    case 'index':
      return `reads every row of ${table} to build index ${verdict.action.index} under ${lock}, ${held}`;
    case 'check':
      return `checks every row of ${verdict.action.of === undefined ? table : `${verdict.action.of} against ${table}`} for ${verdict.action.what} under ${lock}, ${held}`;
  }
}

/** The finding as the project configured its rule, or undefined when the rule is off. */
function configured(file: string, statement: StatementTrace, relation: string, verdict: Verdict, text: string, config: LintConfig): TraceFinding | undefined {
  const info = RULE_INFO[verdict.rule];
  const severity = config[verdict.rule] ?? info.severity;
  if (severity === 'off') return undefined;
  return {
    rule: verdict.rule,
    severity,
    file,
    line: statement.line,
    column: statement.column,
    message: text,
    hint: `${info.why}; instead: ${info.safe}`,
    statement: statement.number,
    relation,
  };
}
