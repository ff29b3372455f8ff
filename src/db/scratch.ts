/**
 * Scratch databases: created on the target's server for a check that must not touch the target, and dropped
 * after it; and the folders of scratch embedded servers. Their names carry the creating process and time,
 * so that a run killed before it could remove its own (SIGKILL, a lost connection) leaves a database or a
 * folder the next run can recognise as abandoned and remove.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PgshiftError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { quoteIdentifier } from '../core/sql-quote.js';
import { processExists, stopLeftover } from './postmaster.js';
import type { Session } from './session.js';

const NAME = /^pgshift_scratch_(\d+)_(\d+)_[0-9a-f]+$/;
/** Older than this, a scratch database or server belongs to a run that is gone: no check takes an hour to build one. */
const ABANDONED_AFTER_SECONDS = 3600;
const SERVER_FOLDER = /^scratch-(\d+)-(\d+)$/;

/** Who asks for the scratch database, named in its log lines and errors, and what to do without one. */
export interface ScratchUse {
  readonly purpose: string;
  /** The caller's way around a server that refuses CREATE DATABASE. */
  readonly otherwise: string;
}

export interface Scratch {
  readonly name: string;
  drop(): Promise<void>;
}

/** Creates a scratch database through `session`, first dropping the abandoned ones it finds. */
export async function createScratch(session: Session, logger: Logger, { purpose, otherwise }: ScratchUse): Promise<Scratch> {
  const now = Math.floor(Date.now() / 1000);
  await dropAbandoned(session, logger, now, purpose);
  const name = `pgshift_scratch_${process.pid}_${now}_${randomBytes(2).toString('hex')}`;
  try {
    await session.execute(`CREATE DATABASE ${quoteIdentifier(name)}`);
  } catch (error) {
    throw new PgshiftError('USAGE', `${purpose} needs a scratch database and could not create one: ${(error as Error).message}`, {
      hint: `grant the role CREATEDB, or ${otherwise}`,
      cause: error,
    });
  }
  logger.info(`${purpose}: scratch database ${name} created`);
  return {
    name,
    drop: async () => {
      await session.execute(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`).catch(() => undefined);
      logger.info(`${purpose}: scratch database ${name} dropped`);
    },
  };
}

async function dropAbandoned(session: Session, logger: Logger, now: number, purpose: string): Promise<void> {
  const { rows } = await session.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'pgshift\\_scratch\\_%'`);
  for (const { datname } of rows) {
    const created = Number(NAME.exec(datname)?.[2]);
    if (!(now - created > ABANDONED_AFTER_SECONDS)) continue;
    // Another role's leftover may not be ours to drop: it stays, and the run goes on.
    const dropped = await session
      .execute(`DROP DATABASE IF EXISTS ${quoteIdentifier(datname)} WITH (FORCE)`)
      .then(() => true, () => false);
    if (dropped) logger.info(`${purpose}: dropped ${datname}, the scratch database of a run that ended without dropping it`);
  }
}

/** A new folder for a scratch embedded server of this run, inside `parent`. */
export function scratchServerFolder(parent: string): string {
  return join(parent, `scratch-${process.pid}-${Date.now()}`);
}

/**
 * Folders of scratch servers whose run was killed (the name holds the run's pid and start time): its process
 * is gone, or (should the pid have been reused) it started more than an hour ago. A killed run orphans its
 * server, which keeps running: it is stopped before its folder is removed.
 */
export async function removeAbandonedServers(parent: string, logger: Logger): Promise<void> {
  const names = await readdir(parent).catch(() => [] as string[]);
  for (const name of names) {
    const [, owner, started] = SERVER_FOLDER.exec(name) ?? [];
    if (owner === undefined || !(Date.now() - Number(started) > ABANDONED_AFTER_SECONDS * 1000 || !processExists(Number(owner)))) continue;
    const dir = join(parent, name);
    if (!(await stopLeftover(join(dir, 'data')))) continue;
    await rm(dir, { recursive: true, force: true });
    logger.info(`removed ${name}, the folder of a scratch server whose run ended without removing it`);
  }
}
