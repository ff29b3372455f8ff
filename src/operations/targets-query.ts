/**
 * `--targets-query`: the targets listed by a query on one database (a tenants table, a catalog of shards).
 * Each row's `target` is a postgres:// URL, or a schema of that same database for schema-per-tenant; `name`
 * is optional. The query runs in a read-only transaction: listing targets never changes anything.
 */
import type { Target } from '../migrator-types.js';
import { defined } from '../core/defined.js';
import { PgshiftError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { holdsControlCharacter } from '../core/printable.js';
import { scanSql } from '../core/sql-lexer.js';
import { openSession } from '../db/connect.js';
import { endpointName } from '../db/endpoint.js';
import { checkSchemaName } from '../db/ledger.js';
import { ServerError } from '../db/server-error.js';
import { isPostgresUrl, type ConnectionSettings } from '../db/settings.js';

export interface TargetsQueryOptions {
  /** Default: silent. */
  readonly logger?: Logger;
  readonly connectWaitSeconds?: number;
  /** Aborting cancels the query. */
  readonly signal?: AbortSignal;
  /** A URL a row gives becomes a target's settings through this (the CLI applies the environment's TLS and password rules). Default: the URL alone. */
  readonly urlSettings?: (url: string, where: string) => ConnectionSettings;
}

const HINT = 'the query must return a column target (a postgres:// URL, or a schema name of this database) and may return a column name';

export async function targetsFromQuery(database: ConnectionSettings, sql: string, options: TargetsQueryOptions = {}): Promise<Target[]> {
  const statements = scanSql(sql).statements.length;
  if (statements !== 1) {
    throw new PgshiftError('USAGE', statements === 0 ? '--targets-query is empty' : `--targets-query holds ${statements} statements`, {
      hint: `give one SELECT: it runs in a read-only transaction and only lists targets; ${HINT}`,
    });
  }
  const { signal } = options;
  const session = await openSession(database, options.logger ?? silentLogger, defined({ waitSeconds: options.connectWaitSeconds, signal }));
  const cancel = (): void => void session.cancel().catch(() => undefined);
  signal?.addEventListener('abort', cancel, { once: true });
  let rows: ReadonlyArray<Readonly<Record<string, unknown>>>;
  try {
    await session.execute('BEGIN READ ONLY');
    ({ rows } = await session.query<Record<string, unknown>>(sql));
  } catch (error) {
    if (signal?.aborted) throw new PgshiftError('INTERRUPTED', 'interrupted while --targets-query ran', { hint: 'the query was cancelled; no target was started' });
    throw error instanceof ServerError
      ? new PgshiftError('USAGE', `--targets-query failed: ${error.message}`, { hint: 'run the query in psql to see why; it runs read-only', cause: error })
      : error;
  } finally {
    signal?.removeEventListener('abort', cancel);
    await session.execute('ROLLBACK').catch(() => undefined);
    await session.close().catch(() => undefined);
  }
  return rows.map((row, index) => targetOfRow(row, index, database, options));
}

function targetOfRow(row: Readonly<Record<string, unknown>>, index: number, database: ConnectionSettings, options: TargetsQueryOptions): Target {
  const where = `--targets-query row ${index + 1}`;
  const value = row['target'];
  if (!('target' in row)) throw new PgshiftError('USAGE', `--targets-query returned no column target (it returned ${Object.keys(row).join(', ') || 'no columns'})`, { hint: HINT });
  if (typeof value !== 'string' || value === '') throw new PgshiftError('USAGE', `${where}: target is ${value === null ? 'null' : value === '' ? 'empty' : 'not text'}`, { hint: HINT });
  const given = row['name'];
  if (given !== undefined && (typeof given !== 'string' || given === '')) {
    throw new PgshiftError('USAGE', `${where}: name is ${given === null ? 'null' : 'empty'}`, { hint: HINT });
  }
  // Printed on every line about the target, and as the target's key in --json.
  if (given !== undefined && holdsControlCharacter(given)) {
    throw new PgshiftError('USAGE', `${where}: name ${JSON.stringify(given)} holds a control character (a newline, tab or the like)`, { hint: HINT });
  }
  if (isPostgresUrl(value)) {
    const settings = options.urlSettings ? options.urlSettings(value, where) : { url: value, origin: where };
    return { name: given ?? endpointName(settings), database: settings };
  }
  try {
    checkSchemaName(value);
  } catch (error) {
    throw error instanceof PgshiftError ? new PgshiftError('USAGE', `${where}: ${error.message.replace('--schema', 'the schema')}`, { hint: HINT }) : error;
  }
  return { name: given ?? value, database, schema: value };
}
