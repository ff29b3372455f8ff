/**
 * The parse cache's setting: on unless PGSHIFT_CACHE=off. Read from the process's environment (not .env)
 * by the CLI and the API alike: the cache changes how fast a run starts, never what it does.
 */
import { join } from 'node:path';
import { PgshiftError } from '../core/errors.js';
import { DEFAULTS } from './defaults.js';
import type { Environment } from './environment.js';

export interface ParseCacheSetting {
  /** Absolute path of the cache file. */
  readonly path: string;
  readonly keep: number;
}

export function parseCacheSetting(cwd: string, env: Environment = process.env): ParseCacheSetting | undefined {
  const value = env['PGSHIFT_CACHE'];
  if (value === 'off') return undefined;
  if (value !== undefined && value !== '' && value !== 'on') {
    throw new PgshiftError('USAGE', `PGSHIFT_CACHE=${value} is not on or off`, { hint: 'PGSHIFT_CACHE=off turns the parse cache in .pgshift/ off; unset, it is on' });
  }
  return { path: join(cwd, DEFAULTS.parseCacheFile), keep: DEFAULTS.parseCacheKeep };
}
