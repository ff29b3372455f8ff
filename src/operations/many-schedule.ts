/** Runs items `parallel` at a time, in order; once `stop` gives a reason, the items not yet started are skipped. */
export type SkipReason = 'canary' | 'fail-fast' | 'interrupted';

export async function schedule<T>(
  items: readonly number[],
  parallel: number,
  run: (item: number) => Promise<T>,
  skip: (item: number, reason: SkipReason) => T,
  stop: () => SkipReason | undefined,
): Promise<T[]> {
  const results = new Array<T>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const position = next++;
      const item = items[position] as number;
      const reason = stop();
      results[position] = reason === undefined ? await run(item) : skip(item, reason);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
  return results;
}
