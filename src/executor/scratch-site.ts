/**
 * Where a schema is rebuilt from the migrations without touching the target: a scratch database on the
 * target's server (the default: same version, same extensions), a scratch database on a server the caller
 * names, or a fresh embedded server of its own. Whatever happens, `close` leaves nothing behind.
 */
import { rm } from 'node:fs/promises';
import { isPgshiftError, PgshiftError, rewrap } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { quoteIdentifier, quoteLiteral } from '../core/sql-quote.js';
import { firstServerWide, type ScratchWhere } from '../core/replay-plan.js';
import type { ScriptFile } from '../core/types.js';
import type { Wording } from '../core/wording.js';
import { openSession } from '../db/connect.js';
import { startEmbedded } from '../db/embedded.js';
import { withDatabase } from '../db/endpoint.js';
import { createScratch, removeAbandonedServers, scratchServerFolder } from '../db/scratch.js';
import { inheritedSettings } from '../db/session-state.js';
import type { Session } from '../db/session.js';
import type { ConnectionSettings } from '../db/settings.js';

/** The target's server, a fresh embedded server, or the server these settings reach. */
export type ScratchServer = 'target' | 'embedded' | ConnectionSettings;

export interface ScratchRequest {
  /** The command it is for, named in log lines and errors. */
  readonly purpose: string;
  readonly server: ScratchServer;
  /** Every file that will run there, checked for statements that would reach beyond the scratch database. */
  readonly files: readonly ScriptFile[];
  /** Where an embedded server keeps its folders: a scratch one gets its own folder in it. */
  readonly embeddedDir: string;
  /** Startup parameters of the target's session (its search_path), so files run there as they ran on it. */
  readonly parameters: Readonly<Record<string, string>>;
  readonly wording: Wording;
}

/** The target's open session and how it was reached. */
export interface ScratchHost {
  readonly session: Session;
  readonly settings: ConnectionSettings;
  readonly logger: Logger;
  readonly signal: AbortSignal | undefined;
  /** The session may not write (default_transaction_read_only): a scratch database is created through another. */
  readonly readOnly?: boolean;
}

export interface ScratchSite {
  readonly session: Session;
  readonly where: ScratchWhere;
  /** Another session on the scratch database, for watching the first one; closing it is the caller's. */
  openAnother(): Promise<Session>;
  close(): Promise<void>;
}

export async function openScratchSite(host: ScratchHost, given: ScratchRequest): Promise<ScratchSite> {
  // The target's own startup parameters (its search_path option) win over its database's settings, as there.
  const request = { ...given, parameters: { ...(await inheritedSettings(host.session)), ...given.parameters } };
  if (request.server === 'embedded') return embeddedSite(host, request);
  if (request.server === 'target' && host.readOnly !== true) return databaseSite(host, request, host.session, host.settings, 'server');
  const [settings, where] = request.server === 'target' ? [host.settings, 'server' as const] : [request.server, 'database' as const];
  const admin = await openSession(settings, host.logger, { signal: host.signal }).catch((error: unknown) => {
    throw isPgshiftError(error) && error.code !== 'INTERRUPTED' && where === 'database' ? rewrap(error, error.code, `${request.wording.option('scratch-database')}: ${error.message}`, {
      hint: `the scratch database is built on the server that ${request.wording.option('scratch-database')} names: check that URL and that the server is up, or use ${request.wording.option('scratch')} embedded`,
    }) : error;
  });
  try {
    const site = await databaseSite(host, request, admin, settings, where);
    return { ...site, close: () => site.close().finally(() => admin.close().catch(() => undefined)) };
  } catch (error) {
    await admin.close().catch(() => undefined);
    throw error;
  }
}

async function databaseSite(host: ScratchHost, request: ScratchRequest, admin: Session, settings: ConnectionSettings, where: ScratchWhere): Promise<ScratchSite> {
  if (admin === host.session || (await sameServer(admin, host.session))) refuseServerWide(request, where);
  const { option } = request.wording;
  const otherwise = where === 'server'
    ? `build it elsewhere: ${option('scratch-database')} URL (a server where the role may create databases) or ${option('scratch')} embedded`
    : `give ${option('scratch-database')} a URL whose role may create databases there, or use ${option('scratch')} embedded`;
  const scratch = await createScratch(admin, host.logger, { purpose: request.purpose, otherwise });
  try {
    const open = (): Promise<Session> => openSession(withDatabase(settings, scratch.name), host.logger, { signal: host.signal, parameters: request.parameters });
    const session = await open();
    return { session, where, openAnother: open, close: () => session.close().catch(() => undefined).finally(() => scratch.drop()) };
  } catch (error) {
    await scratch.drop();
    throw error;
  }
}

/** One cluster has one system identifier; where it cannot be read, the two are taken to be one server. */
async function sameServer(a: Session, b: Session): Promise<boolean> {
  const read = (session: Session): Promise<string | undefined> =>
    session.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()').then(({ rows }) => rows[0]?.id, () => undefined);
  const [first, second] = await Promise.all([read(a), read(b)]);
  return first === undefined || first === second;
}

/**
 * A scratch database shares its server with the target: a file that changes the server as a whole (a role,
 * a tablespace, the server's settings) would leave that change behind on the target's server when the
 * scratch database is dropped. Such a history is replayed only where the whole server may be thrown away.
 */
function refuseServerWide(request: ScratchRequest, where: ScratchWhere): void {
  const found = firstServerWide(request.files);
  if (!found) return;
  const { option } = request.wording;
  const server = where === 'server' ? "the target's server" : "the target's server (that is where the scratch server URL leads)";
  throw new PgshiftError('USAGE', `${request.purpose} would run ${found.file.path}:${found.line} (${found.name}) in a scratch database on ${server}, and ${found.name} changes that whole server, not only the scratch database`, {
    hint: `build the scratch schema elsewhere: ${option('scratch')} embedded (a throwaway local server) or ${option('scratch-database')} URL naming a server you can throw away`,
  });
}

async function embeddedSite(host: ScratchHost, request: ScratchRequest): Promise<ScratchSite> {
  await removeAbandonedServers(request.embeddedDir, host.logger);
  const dir = scratchServerFolder(request.embeddedDir);
  // Never in the way of the error that sent it here (a file where the folder should be, say).
  const removeDir = (): Promise<void> => rm(dir, { recursive: true, force: true }).catch(() => undefined);
  const server = await startEmbedded({ dir, scratch: true }, host.logger).catch(async (error: unknown) => {
    await removeDir();
    throw error;
  });
  const stop = (): Promise<void> => server.stop().catch(() => undefined).finally(removeDir);
  try {
    const database = await targetsName(host, server.settings);
    const open = (): Promise<Session> => openSession(database, host.logger, { signal: host.signal, parameters: request.parameters });
    const session = await open();
    warnOnVersion(host, session, request);
    return { session, where: 'embedded', openAnother: open, close: () => session.close().catch(() => undefined).finally(stop) };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The server is the run's own: its database takes the target's name, so that a file naming its database
 * (GRANT ... ON DATABASE app, ALTER DATABASE app SET ...) runs there as it ran on the target.
 */
async function targetsName(host: ScratchHost, settings: ConnectionSettings): Promise<ConnectionSettings> {
  const { database } = host.session.info;
  const admin = await openSession(settings, host.logger, { signal: host.signal });
  try {
    const { rows } = await admin.query<{ found: boolean }>(`SELECT EXISTS (SELECT FROM pg_database WHERE datname = ${quoteLiteral(database)}) AS found`);
    if (rows[0]?.found !== true) await admin.execute(`CREATE DATABASE ${quoteIdentifier(database)}`);
  } finally {
    await admin.close().catch(() => undefined);
  }
  return withDatabase(settings, database);
}

function warnOnVersion(host: ScratchHost, scratch: Session, request: ScratchRequest): void {
  const major = (version: string): number => Number.parseInt(version, 10);
  const [target, embedded] = [host.session.info.serverVersion, scratch.info.serverVersion];
  if (major(target) === major(embedded)) return;
  // drift compares what the two print; trace reports what the scratch server does: each says what that means for it.
  const differs = request.purpose === 'trace'
    ? `the locks and rewrites traced are PostgreSQL ${major(embedded)}'s, which can differ from the target's; for an exact trace use`
    : `what the two versions print differently (view definitions, privileges) shows as differences; for an exact comparison use`;
  host.logger.warn(
    `${request.purpose}: the embedded server is PostgreSQL ${major(embedded)} and the target is PostgreSQL ${major(target)}: ${differs} ${request.wording.option('scratch-database')} with a server of the target's version`,
    { target, embedded },
  );
}
