/** The scratch flags of drift and verify, read as the server a scratch database is built on. */
import { PgshiftError } from '../core/errors.js';
import type { ScratchServer } from '../migrator-types.js';
import type { ScratchArgs } from './app.js';

/** Undefined: the target's server. `resolveUrl` reads a --scratch-database URL with the target's environment. */
export function scratchServerOf(args: ScratchArgs, resolveUrl: (url: string) => Exclude<ScratchServer, 'embedded'>): ScratchServer | undefined {
  const { scratch } = args;
  const url = args['scratch-database'];
  if (scratch !== undefined && scratch !== '' && scratch !== 'embedded') {
    throw new PgshiftError('USAGE', `--scratch takes no value or the value embedded, not ${JSON.stringify(scratch)}`, {
      hint: 'for a scratch database on another server, use --scratch-database URL',
    });
  }
  if (scratch === 'embedded' && url !== undefined) {
    throw new PgshiftError('USAGE', '--scratch embedded and --scratch-database name two places for the scratch database', { hint: 'give one of them' });
  }
  if (scratch === 'embedded') return 'embedded';
  return url === undefined ? undefined : resolveUrl(url);
}
