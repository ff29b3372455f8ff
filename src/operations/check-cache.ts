/** The parse cache around the checks before a run: read before them, written after, shared by many targets. */
import type { ParseCacheSetting } from '../config/parse-cache.js';
import type { Logger } from '../core/logger.js';
import { shared, type Memo } from '../core/memo.js';
import { buildOf, openCacheStore } from '../io/parse-cache.js';
import { checkCache, type CheckCache } from '../lint/check-cache.js';
import { PGSHIFT_VERSION } from '../version.js';

export interface CheckCacheOptions {
  readonly parseCache?: ParseCacheSetting | undefined;
  readonly logger: Logger;
  readonly memo?: Memo | undefined;
}

/**
 * Runs `check` of `files` with the cache (none when PGSHIFT_CACHE=off, and not read when there are no files),
 * then saves what the check added, whether the check passed or stopped the run: a refused file is not parsed
 * again to be refused again.
 */
export async function withCheckCache<T>(options: CheckCacheOptions, files: readonly unknown[], check: (cache: CheckCache | undefined) => Promise<T>): Promise<T> {
  const { parseCache, logger } = options;
  if (parseCache === undefined || files.length === 0) return check(undefined);
  // A many-database run reads the file once for all its targets.
  const store = await shared(options.memo, 'parse-cache', async () => openCacheStore({ ...parseCache, build: await buildOf(PGSHIFT_VERSION), logger }));
  try {
    return await check(checkCache(store));
  } finally {
    await store.save();
    logger.debug(`parse cache: ${store.counts.found} file(s) found, ${store.counts.added} added`, { ...store.counts });
  }
}
