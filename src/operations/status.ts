/** `status`: each version's state from the files and the ledger, and who holds the lock now. */
import type { CallOptions, StatusResult } from '../migrator-types.js';
import type { ResolvedOptions } from '../config/migrator-options.js';
import { defined } from '../core/defined.js';
import { statusOf } from '../core/status.js';
import { lockHolder as heldBy, lockKey } from '../db/lock.js';
import { withFiles } from './files.js';

export async function status(context: ResolvedOptions, call: CallOptions): Promise<StatusResult> {
  return withFiles(context, { lock: false, writes: false, signal: call.signal }, async (catalog, { session, table }, read) => {
    const history = await read;
    const lockHolder = await heldBy(session, lockKey(table));
    return { entries: statusOf(catalog, history.rows), problems: catalog.problems, ...defined({ lockHolder }) };
  });
}
