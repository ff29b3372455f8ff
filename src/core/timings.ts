/**
 * Where a run's time went, phase by phase: the CLI prints it with PGSHIFT_PROFILE=1 and logs it at debug
 * level. Process-wide on purpose: the phases happen deep in operations, and threading a recorder through
 * every call to time a handful of them would cost more code than it explains. Recording is two clock reads
 * and an array push per phase, so it is always on.
 */
interface Span {
  readonly phase: string;
  readonly start: number;
  readonly end: number;
}

const spans: Span[] = [];

/** Runs `work`, recording its time as `phase`. */
export async function timed<T>(phase: string, work: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await work();
  } finally {
    spans.push({ phase, start, end: performance.now() });
  }
}

/**
 * The phases recorded so far, in the order they first ran, in whole milliseconds. Phases that ran side by
 * side (the files are read while the session connects; a many-database run's targets) are not counted
 * twice: each moment goes to the phase that started last among those running then, the one the run was
 * waiting on. So the phases add up to the time they covered.
 */
export function phasesSoFar(): ReadonlyArray<readonly [string, number]> {
  const ordered = [...spans].sort((a, b) => a.start - b.start);
  const spent = new Map<string, number>(ordered.map(({ phase }) => [phase, 0]));
  const edges = [...new Set(ordered.flatMap(({ start, end }) => [start, end]))].sort((a, b) => a - b);
  let active: Span[] = [];
  let next = 0;
  for (let index = 1; index < edges.length; index++) {
    const [from, to] = [edges[index - 1] as number, edges[index] as number];
    while (next < ordered.length && (ordered[next] as Span).start <= from) active.push(ordered[next++] as Span);
    active = active.filter((span) => span.end >= to);
    // The last one pushed started last: spans are taken in the order they started.
    const latest = active.at(-1);
    if (latest) spent.set(latest.phase, (spent.get(latest.phase) ?? 0) + to - from);
  }
  return [...spent].map(([phase, ms]) => [phase, Math.round(ms)] as const);
}
