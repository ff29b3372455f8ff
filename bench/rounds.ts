/**
 * Rounds the way: in each round every contender runs once, round r starting at contender r mod k, so
 * a machine that drifts (another job, a checkpoint, a warm cache) weighs on each contender alike. A ratio is
 * taken within each round, and the figure printed is the median of those per-round ratios, with their range.
 */
import { median, type Measure } from './support.js';

export type Runner = () => Promise<Measure>;

/** `items` starting at index `round` mod its length. */
export function rotated<T>(items: readonly T[], round: number): T[] {
  const start = round % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

/** One round: each contender once, in the order of `round`, each measure appended to its list in `seen`. */
export async function oneRound(round: number, contenders: ReadonlyMap<string, Runner>, seen: Map<string, Measure[]>): Promise<void> {
  for (const name of rotated([...contenders.keys()], round)) {
    const measure = await (contenders.get(name) as Runner)();
    seen.set(name, [...(seen.get(name) ?? []), measure]);
  }
}

/** `count` rounds of the contenders; their measures by name, in round order. */
export async function rounds(count: number, contenders: Readonly<Record<string, Runner>>): Promise<Map<string, Measure[]>> {
  const seen = new Map<string, Measure[]>();
  const map = new Map(Object.entries(contenders));
  for (let round = 0; round < count; round++) await oneRound(round, map, seen);
  return seen;
}

/** What a contender's rounds come to against a floor's rounds of the same run. */
export interface Compared {
  /** Median time of the contender's rounds. */
  readonly ms: number;
  /** Median time of the floor's rounds. */
  readonly floorMs: number;
  /** Median of the per-round ratios contender / floor, and the least and greatest of them. */
  readonly ratio: number;
  readonly low: number;
  readonly high: number;
  /** Median of the per-round differences contender - floor. */
  readonly overMs: number;
  /** The highest peak RSS of the contender's rounds, and its median client CPU (node processes only). */
  readonly rssMiB?: number;
  readonly cpuMs?: number;
}

/** Compares round by round; `floorMs` are the floor's times in the same rounds (a figure added to them or not). */
export function compare(tool: readonly Measure[], floorMs: readonly number[]): Compared {
  const ratios = tool.map((measure, i) => measure.ms / (floorMs[i] as number));
  const over = tool.map((measure, i) => measure.ms - (floorMs[i] as number));
  const rss = tool.flatMap((measure) => (measure.rssKiB === undefined ? [] : [measure.rssKiB / 1024]));
  const cpu = tool.flatMap((measure) => (measure.cpuMs === undefined ? [] : [measure.cpuMs]));
  return {
    ms: median(tool.map((measure) => measure.ms)),
    floorMs: median(floorMs),
    ratio: median(ratios),
    low: Math.min(...ratios),
    high: Math.max(...ratios),
    overMs: median(over),
    ...(rss.length === 0 ? {} : { rssMiB: Math.max(...rss) }),
    ...(cpu.length === 0 ? {} : { cpuMs: median(cpu) }),
  };
}

/** The times of a list of measures, for use as a floor. */
export const times = (measures: readonly Measure[] | undefined): number[] => (measures ?? []).map((measure) => measure.ms);
