/**
 * Where a run's time went, phase by phase: the CLI prints it with PGSHIFT_PROFILE=1 and logs it at debug
 * level. Process-wide on purpose: the phases happen deep in operations, and threading a recorder through
 * every call to time a handful of them would cost more code than it explains. Recording is a clock read
 * and a map update per phase, so it is always on.
 */
const spent = new Map<string, number>();

/** Runs `work`, adding its time to `phase` (phases that run side by side, in a many-database run, add up). */
export async function timed<T>(phase: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    spent.set(phase, (spent.get(phase) ?? 0) + performance.now() - started);
  }
}

/** The phases recorded so far, in the order they first ran, in whole milliseconds. */
export function phasesSoFar(): ReadonlyArray<readonly [string, number]> {
  return [...spent].map(([phase, ms]) => [phase, Math.round(ms)] as const);
}
