/**
 * The lock trace's own rules: what a migration was seen doing on a scratch copy (trace-findings.ts), where
 * no lint rule says it more precisely. They have no visitor, since they read a trace, not a parse tree, and
 * they stay out of lint's RULE_LIST (and the README's table of lint rules); a `-- pgshift:allow` may name
 * them as it names lint's rules.
 */
import type { RuleInfo, Severity } from './rule.js';

export interface TraceRule<Id extends string = string> extends RuleInfo {
  readonly id: Id;
  /** What a finding is when the project's configuration does not name the rule. */
  readonly severity: Exclude<Severity, 'off'>;
}

const defineTraceRule = <Id extends string>(rule: TraceRule<Id>): TraceRule<Id> => rule;

export const TRACE_RULES = [
  defineTraceRule({
    id: 'lock-blocks-writes',
    severity: 'warning',
    catches: 'a statement that took a lock conflicting with ROW EXCLUSIVE on an existing table',
    why: 'INSERT, UPDATE and DELETE on the table wait until the lock is released, and every query queued behind them waits too',
    safe: 'keep the statement in a file of its own with a short -- pgshift:lock-timeout, so that it gives up instead of queueing every query behind it; where the statement has a CONCURRENTLY form, use that',
  }),
  defineTraceRule({
    id: 'table-rewrite',
    severity: 'warning',
    catches: 'a statement that rewrote an existing table (or one of its indexes)',
    why: 'it writes the table anew (a copy, or an empty one for TRUNCATE) under an ACCESS EXCLUSIVE lock: reads and writes wait until it ends',
    safe: 'for a column: add a new one, backfill it in batches, then swap it in; REFRESH MATERIALIZED VIEW CONCURRENTLY (it needs a unique index); VACUUM FULL and CLUSTER outside a migration, in a maintenance window',
  }),
  defineTraceRule({
    id: 'validates-rows',
    severity: 'warning',
    catches: 'a statement that checked every existing row of a table while a lock blocking writes was held on it',
    why: 'writes wait while the whole table is read',
    safe: 'add the constraint NOT VALID, then VALIDATE CONSTRAINT in a later file; for NOT NULL, a CHECK (col IS NOT NULL) NOT VALID, validated, then SET NOT NULL',
  }),
] as const;

export type TraceRuleId = (typeof TRACE_RULES)[number]['id'];

export const TRACE_RULE_IDS: ReadonlySet<string> = new Set(TRACE_RULES.map((rule) => rule.id));

export const TRACE_RULE_BY_ID = Object.fromEntries(TRACE_RULES.map((rule) => [rule.id, rule])) as Readonly<Record<TraceRuleId, TraceRule<TraceRuleId>>>;
