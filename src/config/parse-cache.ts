/**
 * The parse cache's setting: on unless turned off (MigratorOptions.parseCache; PGSHIFT_CACHE=off for the
 * CLI). The cache changes how fast a run starts, never what it does.
 */
import { join } from 'node:path';
import { PgshiftError } from '../core/errors.js';
import { DEFAULTS } from './defaults.js';

export interface ParseCacheSetting {
  /** Absolute path of the cache file. */
  readonly path: string;
  readonly keep: number;
}

export function parseCacheSetting(cwd: string, enabled = true): ParseCacheSetting | undefined {
  return enabled ? { path: join(cwd, DEFAULTS.parseCacheFile), keep: DEFAULTS.parseCacheKeep } : undefined;
}

/** PGSHIFT_CACHE as the CLI reads it (the environment, then .env): on when unset. */
export function parseCacheFromEnvironment(value: string | undefined, shown = `PGSHIFT_CACHE=${value}`): boolean {
  if (value === undefined || value === '' || value === 'on') return true;
  if (value === 'off') return false;
  throw new PgshiftError('CONFIG_INVALID', `${shown} is not on or off`, { hint: 'PGSHIFT_CACHE=off turns the parse cache in .pgshift/ off; unset, it is on' });
}
