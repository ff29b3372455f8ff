/**
 * PGSHIFT_PROFILE=1 (and --log-level debug): where the run's time went, from the process's start. Node's
 * own start is its bootstrap; loading is the time from there until main() began (the CLI's code read and
 * compiled); the phases are core/timings.ts's; "other" is the rest (parsing flags, the logger, planning,
 * printing).
 */
import { phasesSoFar } from '../core/timings.js';

export function runProfile(mainEntered: number): { readonly phases: Readonly<Record<string, number>>; readonly totalMs: number } {
  const start = performance.nodeTiming.bootstrapComplete;
  const totalMs = Math.round(performance.now());
  const measured: Array<readonly [string, number]> = [['node start', Math.round(start)], ['load', Math.round(mainEntered - start)], ...phasesSoFar()];
  const other = totalMs - measured.reduce((sum, [, ms]) => sum + ms, 0);
  return { phases: Object.fromEntries([...measured, ['other', Math.max(0, other)]]), totalMs };
}

export function profileText(profile: ReturnType<typeof runProfile>): string {
  const parts = Object.entries(profile.phases).map(([phase, ms]) => `${phase} ${ms} ms`);
  return `pgshift profile: ${parts.join(', ')}; total ${profile.totalMs} ms\n`;
}
