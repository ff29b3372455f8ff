/** A many-database run's answer: one row per target, the failures spelled out under the table, or JSON. */
import type { ManyCommand, ManyResult, TargetResult } from '../migrator-types.js';
import { asJson, counted, errorFields, oneLine, problemsText, table } from './render.js';
import { exitStatusOf } from './exit-status.js';

/** What the count column counts, per command. */
const COUNTED: Readonly<Record<ManyCommand, string>> = { up: 'applied', down: 'reverted', status: 'pending', validate: 'problems', drift: 'differences' };

export function manyText(result: ManyResult, command: ManyCommand): string {
  const rows = result.targets.map((target) => [oneLine(target.name), versionText(target), countOf(target, command), seconds(target.durationMs), resultText(target)]);
  const failures = result.targets.filter((target) => target.error !== undefined && target.outcome === 'failed');
  return `${table(['target', 'version', COUNTED[command], 'time', 'result'], rows, [2, 3])}${summaryLine(result)}${failures.length > 0 ? `\n${failures.map(failureText).join('')}` : ''}`;
}

/** A failed target's error, or the validate problems themselves: a reader should not have to run it again alone. */
function failureText({ name, error, problems }: TargetResult): string {
  if (error === undefined) return '';
  const named = oneLine(name);
  if (problems !== undefined && problems.length > 0) return `${named}: ${error.message}\n${problemsText(problems).replace(/^(?=.)/gm, '  ')}`;
  return `${named}: ${error.message}\n${error.hint === undefined ? '' : `  hint: ${error.hint}\n`}`;
}

export function manyJson(result: ManyResult): string {
  return asJson({
    targets: result.targets.map(({ error, ...target }) => ({
      ...target,
      exitStatus: targetExitStatus(target.outcome, error?.code),
      ...(error === undefined ? {} : { error: { message: error.message, ...errorFields(error, targetExitStatus(target.outcome, error.code) ?? 0) } }),
    })),
  });
}

/** The status a target would have exited with alone; null for one that never started. */
export function targetExitStatus(outcome: TargetResult['outcome'], code: Parameters<typeof exitStatusOf>[0] | undefined): number | null {
  if (outcome === 'skipped') return null;
  return code === undefined ? 0 : exitStatusOf(code);
}

/** `12 ok, 1 failed, 3 skipped (canary failed)` */
export function summaryLine(result: ManyResult): string {
  const by = (outcome: TargetResult['outcome']): TargetResult[] => result.targets.filter((target) => target.outcome === outcome);
  const skipped = by('skipped');
  const reasons = [...new Set(skipped.map((target) => target.skippedBecause))].map((reason) => SKIPPED[reason ?? 'interrupted']);
  const parts = [`${by('ok').length} ok`, `${by('failed').length} failed`];
  if (by('interrupted').length > 0) parts.push(`${by('interrupted').length} interrupted`);
  if (skipped.length > 0) parts.push(`${skipped.length} not started (${reasons.join(', ')})`);
  return `${counted(result.targets.length, 'target')}: ${parts.join(', ')}\n`;
}

const SKIPPED = { canary: 'a canary failed', 'fail-fast': '--fail-fast', interrupted: 'interrupted' } as const;

function versionText({ before, after }: TargetResult): string {
  const text = (version: number | null | undefined): string => (version === undefined ? '?' : version === null ? 'none' : String(version));
  if (before === undefined && after === undefined) return '-';
  return before === after ? text(after) : `${text(before)} → ${text(after)}`;
}

function countOf(target: TargetResult, command: ManyCommand): string {
  if (target.outcome === 'skipped') return '-';
  switch (command) {
    case 'up':
    case 'down':
      return String(target.migrations.length);
    case 'status':
      return target.status ? String(target.status.entries.filter((entry) => entry.state === 'pending').length) : '-';
    case 'validate':
      return target.problems ? String(target.problems.length) : '-';
    case 'drift':
      return target.drift ? String(target.drift.differences.length) : '-';
  }
}

function resultText(target: TargetResult): string {
  if (target.outcome === 'skipped') return `not started: ${SKIPPED[target.skippedBecause ?? 'interrupted']}`;
  const { error } = target;
  if (error === undefined) return `ok${attention(target)}`;
  // The message itself is spelled out under the table: a row stays one short line.
  return `${target.outcome} ${error.code} (exit ${exitStatusOf(error.code)})`;
}

/** What status found that a single-target status would show: versions whose file changed, is gone, or is partly applied. */
function attention({ status }: TargetResult): string {
  const states = (status?.entries ?? []).map((entry) => entry.state).filter((state) => state === 'changed' || state === 'missing' || state === 'partial');
  const counts = [...new Set(states)].map((state) => `${states.filter((other) => other === state).length} ${state}`);
  return counts.length === 0 ? '' : ` (${counts.join(', ')})`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
