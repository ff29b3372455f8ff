/** Reading what the database has recorded: the ledger and the progress of unfinished no-transaction files. */
import type { History } from '../core/ledger-problems.js';
import { timed } from '../core/timings.js';
import { readLedger, type LedgerState, type LedgerTable } from '../db/ledger.js';
import { readProgress } from '../db/progress.js';
import type { Session } from '../db/session.js';

export interface HistoryRead {
  readonly ledger: LedgerState;
  readonly rows: History;
}

export function readHistory(session: Session, table: LedgerTable): Promise<HistoryRead> {
  return timed('read ledger', async () => {
    const ledger = await readLedger(session, table);
    const progress = ledger.exists ? await readProgress(session, table) : [];
    return { ledger, rows: { ledger: ledger.exists ? ledger.rows : [], progress } };
  });
}
