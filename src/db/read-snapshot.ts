/**
 * Reads that must agree with each other without the migration lock: under --lock transaction there is no
 * session lock to hold while reading, so they run in one REPEATABLE READ transaction, whose one snapshot
 * sees the ledger and the schema as of the same moment. A transaction-mode pooler keeps a transaction on
 * one server connection, so all of it goes through the one session, and it is always ended.
 */
import type { Session } from './session.js';

export async function inReadSnapshot<T>(session: Session, work: (session: Session) => Promise<T>): Promise<T> {
  await session.execute('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  let result: T;
  try {
    result = await work(session);
  } catch (error) {
    await session.rollback();
    throw error;
  }
  await session.execute('COMMIT');
  return result;
}

/**
 * The session with each query behind a savepoint, for reads inside inReadSnapshot that may fail and be
 * answered by another query (a ledger or progress table that does not exist): a failed statement would
 * otherwise abort the whole transaction.
 */
export function savepointed(session: Session): Session {
  return {
    ...session,
    async query<T extends object>(text: string) {
      await session.execute('SAVEPOINT pgshift_read');
      try {
        const result = await session.query<T>(text);
        await session.execute('RELEASE SAVEPOINT pgshift_read');
        return result;
      } catch (error) {
        await session.execute('ROLLBACK TO SAVEPOINT pgshift_read');
        throw error;
      }
    },
  };
}
