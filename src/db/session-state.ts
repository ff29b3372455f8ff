/**
 * Every file starts in the session state the connection opened with, whatever the files before it did, so
 * that a schema never depends on how files were batched into runs. The reset rides in the file's own
 * message, after the file and before pgshift's ledger statements, which therefore run as the connection's
 * own role with its own settings.
 *
 * Not DISCARD ALL: it cannot run in a transaction and it releases the migration lock. Its parts that can
 * are here instead. RESET ALL returns every setting to its value at connection start (startup parameters
 * such as --schema's search_path, the pgshift.* provenance and application_name included), but leaves
 * the role and session authorization alone: they have RESETs of their own.
 */
import { runningNamePrefix } from '../core/lock-holder.js';
import { doBlock, quoteIdentifier, quoteLiteral } from '../core/sql-quote.js';
import { PROVENANCE_SETTINGS, type SessionSettings } from './ledger.js';
import type { Session } from './session.js';

/**
 * What pgshift's connection speaks (its driver sends it at startup), stated again where a psql running a
 * printed plan could hold another: at the plan's top, and after each RESET ALL, which returns psql's session
 * to its own default (the database's encoding, so a non-UTF8 database would read the files' UTF-8 wrongly).
 */
export const CLIENT_ENCODING_SQL = "SET client_encoding = 'UTF8';\n";

/**
 * RESET ALL comes first: it ends a `SET statement_timeout = '1ms'` before the statements after it, which
 * then run under the connection's own timeouts.
 */
export const SESSION_RESET_SQL = `RESET ALL;
${CLIENT_ENCODING_SQL}RESET SESSION AUTHORIZATION;
RESET ROLE;
CLOSE ALL;
DEALLOCATE ALL;
UNLISTEN *;
DISCARD TEMP;
DISCARD SEQUENCES;
`;

/** Back to the connection's own role, for a progress record written after one statement of a no-transaction file. */
export const OWN_ROLE_SQL = 'RESET SESSION AUTHORIZATION;\nRESET ROLE;\n';

/**
 * Names the session after the file it runs and when that file started (the server's clock, in epoch
 * seconds), so that a run waiting for the migration lock can say who holds it without reading its query.
 * The reset after the file returns the name to the connection's own.
 */
export function fileStartedSql(command: 'up' | 'down', path: string): string {
  return doBlock(`BEGIN ${fileStartedStatement(command, path)} END`);
}

/** fileStartedSql's PL/pgSQL statement, for a block that does more before a file (one block parses once). */
export function fileStartedStatement(command: 'up' | 'down', path: string): string {
  const prefix = quoteLiteral(runningNamePrefix(command, path));
  return `PERFORM set_config('application_name', ${prefix} || floor(extract(epoch FROM clock_timestamp()))::bigint, false);`;
}

/**
 * SessionSettings for the rest of a transaction, as a PL/pgSQL statement for the block that opens a file
 * (no statement of its own). Without --schema the search_path is the connection's, in psql as in the run.
 */
export function settingsStatement(settings: SessionSettings | undefined): string {
  if (settings === undefined) return '';
  const path = settings.schema === undefined ? '' : `set_config('search_path',${quoteLiteral(quoteIdentifier(settings.schema))},true), `;
  return `PERFORM ${path}set_config('${PROVENANCE_SETTINGS.version}',${quoteLiteral(settings.version)},true);`;
}

/**
 * --schema's schema, made when missing: by the first transaction of a run that writes (so a run refused
 * before it makes nothing, and a dry run prints it), or under --lock transaction by each. Not CREATE SCHEMA
 * IF NOT EXISTS: that needs the CREATE privilege even when the schema is there, and two of them at once can
 * fail on a unique violation.
 */
export function schemaSql(schema: string | undefined): string {
  if (schema === undefined) return '';
  return doBlock(`BEGIN IF to_regnamespace(${quoteLiteral(quoteIdentifier(schema))}) IS NULL THEN CREATE SCHEMA ${quoteIdentifier(schema)}; END IF; END`);
}

/** The provenance version after a session reset, for the ledger row written next in the same transaction. */
export function versionSql(settings: SessionSettings | undefined): string {
  return settings === undefined ? '' : `SET LOCAL ${PROVENANCE_SETTINGS.version} = ${quoteLiteral(settings.version)};\n`;
}

/** SessionSettings for a no-transaction file's session: its statements each run in a transaction of their own. */
export function sessionSettingsSql(settings: SessionSettings | undefined): string {
  if (settings === undefined) return '';
  const path = settings.schema === undefined ? '' : `SET search_path = ${quoteIdentifier(settings.schema)};\n`;
  return `${path}SET ${PROVENANCE_SETTINGS.version} = ${quoteLiteral(settings.version)};\n`;
}

/**
 * The settings the target's session started with from `ALTER DATABASE ... SET` and `ALTER ROLE ... SET`
 * (search_path, TimeZone, DateStyle, ...): a scratch database has none of them, and without them the same
 * files would put objects in other schemas or print defaults in another time zone. Only those any role may
 * set, since they are handed on as a scratch session's startup parameters.
 */
export async function inheritedSettings(session: Session): Promise<Record<string, string>> {
  const { rows } = await session.query<{ name: string; setting: string }>(
    `SELECT name, setting FROM pg_settings WHERE source IN ('database', 'user', 'database user') AND context = 'user'`,
  );
  return Object.fromEntries(rows.map(({ name, setting }) => [name, setting]));
}
