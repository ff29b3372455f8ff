/**
 * Test databases on the server: the statements that list, create, mark, keep and drop templates and their
 * clones, and the one lock their builds and prunes take. Which to make or drop is core/test-databases.ts's.
 */
import { PgshiftError } from '../core/errors.js';
import { printable } from '../core/printable.js';
import { quoteIdentifier, quoteLiteral } from '../core/sql-quote.js';
import { CLONE_PREFIX, noteText, SPARE_PREFIX, spareSlot, sparesOf, TEMPLATE_PREFIX, type TestDatabaseNote, type TestDatabaseRow } from '../core/test-databases.js';
import { namedLockKey, type LockKey } from './lock.js';
import { ServerError } from './server-error.js';
import type { Session } from './session.js';

/**
 * Builds and prunes exclude each other through this advisory lock. Locks are per database: every caller
 * takes it in the database its connection names, which is why all of a suite's workers must be given the
 * same one (the server's `postgres`, usually).
 */
export const TEST_DATABASES_LOCK: LockKey = namedLockKey('test databases');

const LIKE = (prefix: string): string => quoteLiteral(`${prefix.replaceAll('_', '\\_')}%`);

export async function listTestDatabases(session: Session): Promise<TestDatabaseRow[]> {
  // datconnlimit -2: a DROP DATABASE that did not finish left it invalid (PostgreSQL 15.4 and later).
  const { rows } = await session.query<{ name: string; is_template: boolean; comment: string | null; invalid: boolean }>(
    `SELECT datname AS name, datistemplate AS is_template, shobj_description(oid, 'pg_database') AS comment, datconnlimit = -2 AS invalid
       FROM pg_database WHERE datname LIKE ${LIKE(TEMPLATE_PREFIX)} OR datname LIKE ${LIKE(CLONE_PREFIX)} OR datname LIKE ${LIKE(SPARE_PREFIX)} ORDER BY datname`,
  );
  return rows.map((row) => ({ name: row.name, isTemplate: row.is_template, comment: row.comment, invalid: row.invalid }));
}

/**
 * The spares of `template` on the server. `ready`: those still closed to connections, as pgshift makes them;
 * one that someone opened may have been changed, and is never taken.
 */
export async function spareNames(session: Session, template: string): Promise<{ readonly all: string[]; readonly ready: string[] }> {
  const { rows } = await session.query<{ name: string; ready: boolean }>(
    `SELECT datname AS name, NOT datallowconn AND datconnlimit <> -2 AS ready FROM pg_database WHERE datname LIKE ${LIKE(sparesOf(template))} ORDER BY datname`,
  );
  return { all: rows.map((row) => row.name), ready: rows.filter((row) => row.ready).map((row) => row.name) };
}

/**
 * Takes one spare of `template` as `name`: a rename, which no other process can also make of the same
 * spare. The spare taken, or undefined when none is left (other processes took them) or free of connections.
 */
export async function takeSpare(session: Session, template: string, name: string): Promise<string | undefined> {
  const ready = (await spareNames(session, template)).ready.sort((a, b) => spareSlot(b) - spareSlot(a));
  for (const spare of ready) {
    // One implicit transaction: the spare is renamed and opened together, or not at all.
    const taken = await session.execute(`ALTER DATABASE ${quoteIdentifier(spare)} RENAME TO ${quoteIdentifier(name)}; ALTER DATABASE ${quoteIdentifier(name)} WITH ALLOW_CONNECTIONS true`).then(
      () => true,
      (error: unknown) => {
        if (error instanceof ServerError && (error.fields.sqlState === '3D000' || error.fields.sqlState === '55006')) return false;
        throw error;
      },
    );
    if (taken) return spare;
  }
  return undefined;
}

/** Whether a database of this name is on the server, template or not. */
export async function databaseExists(session: Session, name: string): Promise<boolean> {
  return (await templateState(session, name)) !== 'absent';
}

/** `ready`: built and marked; `unfinished`: there, but a build never marked it; `absent`. */
export async function templateState(session: Session, name: string): Promise<'ready' | 'unfinished' | 'absent'> {
  const { rows } = await session.query<{ ready: boolean }>(`SELECT datistemplate AS ready FROM pg_database WHERE datname = ${quoteLiteral(name)}`);
  const [row] = rows;
  return row === undefined ? 'absent' : row.ready ? 'ready' : 'unfinished';
}

export async function createDatabase(session: Session, name: string, template?: string): Promise<void> {
  await session.execute(`CREATE DATABASE ${quoteIdentifier(name)}${template === undefined ? '' : ` TEMPLATE ${quoteIdentifier(template)}`}`);
}

/**
 * A spare is closed to connections, as its template is: nobody can change it before a test takes it, or hold
 * a connection that would make taking it wait (a rename waits 5 s for other sessions to leave, then fails).
 */
export async function createSpare(session: Session, name: string, template: string): Promise<void> {
  await session.execute(`CREATE DATABASE ${quoteIdentifier(name)} TEMPLATE ${quoteIdentifier(template)} ALLOW_CONNECTIONS false`);
}

/**
 * A finished template: marked as one (what tells it from a build that did not finish), closed to
 * connections (nothing can write into it, or hold a connection that would stop CREATE DATABASE from copying
 * it), and dated.
 */
export async function markTemplate(session: Session, name: string, note: TestDatabaseNote): Promise<void> {
  const database = quoteIdentifier(name);
  await session.execute(`ALTER DATABASE ${database} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false; COMMENT ON DATABASE ${database} IS ${quoteLiteral(noteText(note))}`);
}

export async function noteDatabase(session: Session, name: string, note: TestDatabaseNote): Promise<void> {
  await session.execute(`COMMENT ON DATABASE ${quoteIdentifier(name)} IS ${quoteLiteral(noteText(note))}`);
}

/**
 * Drops a test database; with `force`, ending the connections still open to it (without, a database in use
 * is refused: SQLSTATE 55006). A template is unmarked first, as PostgreSQL requires.
 */
export async function dropTestDatabase(session: Session, name: string, { template, force }: { readonly template: boolean; readonly force: boolean }): Promise<void> {
  const database = quoteIdentifier(name);
  if (template) await session.execute(`ALTER DATABASE ${database} WITH IS_TEMPLATE false`).catch(ignoreMissing);
  await session.execute(`DROP DATABASE IF EXISTS ${database}${force ? ' WITH (FORCE)' : ''}`);
}

function ignoreMissing(error: unknown): void {
  if (!(error instanceof ServerError && error.fields.sqlState === '3D000')) throw error;
}

/** Who holds a connection to `database`: pid, application and role, never what they run. */
export async function connectedTo(session: Session, database: string): Promise<string[]> {
  const { rows } = await session.query<{ pid: number; application: string; role: string | null }>(
    `SELECT pid, application_name AS application, usename AS role FROM pg_stat_activity WHERE datname = ${quoteLiteral(database)} AND pid <> pg_backend_pid()`,
  );
  return rows.map((row) => `pid ${row.pid}${row.application === '' ? '' : ` (${printable(row.application)})`}${row.role === null ? '' : `, role ${printable(row.role)}`}`);
}

/**
 * What a refused CREATE, DROP or COMMENT ON DATABASE means for the test databases: a role without CREATEDB
 * (making one), a role that does not own it (dropping or keeping one), and a template another client is
 * connected to (PostgreSQL copies only a database nobody is using).
 */
export function testDatabaseFailure(error: unknown, what: string, { holders, needs = 'createdb' }: { holders?: readonly string[]; needs?: 'createdb' | 'owner' } = {}): unknown {
  if (!(error instanceof ServerError)) return error;
  if (error.fields.sqlState === '42501') {
    return new PgshiftError('DATABASE_ERROR', `${what}: ${error.message}`, {
      hint:
        needs === 'owner'
          ? 'only the role that made a test database (its owner) or a superuser may drop or keep it: connect as that role'
          : 'test databases need a role that may create databases: ALTER ROLE ... CREATEDB, or use a server of your own for tests',
      cause: error,
    });
  }
  if (error.fields.sqlState === '55006') {
    return new PgshiftError('TEMPLATE_BUSY', `${what}: ${error.message}${holders && holders.length > 0 ? ` (connected: ${holders.join('; ')})` : ''}`, {
      hint: 'a template is copied only while nobody is connected to it: close that connection (or end it with pg_terminate_backend) and try again',
      cause: error,
    });
  }
  return new PgshiftError('DATABASE_ERROR', `${what}: ${error.message}`, { cause: error });
}
