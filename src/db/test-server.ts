/**
 * The embedded server a test run's databases live on, when asked for one: started by the first process of
 * the run that needs it, used by the others (a test runner starts one process per file), and stopped by the
 * last to leave. Each process using it has a file in `users/` named after its pid: one whose process is gone
 * (killed) does not count. Starting, joining and leaving happen under a lock (`start.lock`, a folder made
 * atomically), so that two processes never start two servers on one data directory, and one never stops the
 * server another has just found running.
 */
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { threadId } from 'node:worker_threads';
import { PgshiftError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { startEmbedded, type EmbeddedServer } from './embedded.js';
import { processExists, signalPostmaster, stopLeftover } from './postmaster.js';
import type { ConnectionSettings } from './settings.js';

export interface TestServer {
  readonly settings: ConnectionSettings;
  /** This process no longer uses it; the last to leave stops it. */
  leave(): Promise<void>;
}

/** A lock held longer than this belongs to a process that hung or was killed mid-start: an initdb takes seconds. */
const STALE_LOCK_MS = 120_000;

const joined = new Map<string, Promise<TestServer>>();

/** This process's use of the test server in `dir`, started if no other process runs it. */
export function joinTestServer(dir: string, logger: Logger): Promise<TestServer> {
  let server = joined.get(dir);
  if (server === undefined) {
    server = join_(dir, logger);
    joined.set(dir, server);
    server.catch(() => joined.delete(dir));
  }
  return server;
}

async function join_(dir: string, logger: Logger): Promise<TestServer> {
  const users = join(dir, 'users');
  // A thread of its own in a runner that runs files in worker threads: each counts, under its process's pid.
  const mine = join(users, `${process.pid}-${threadId}`);
  const server: EmbeddedServer = await underStartLock(dir, logger, async () => {
    const started = await startEmbedded({ dir, detached: true }, logger);
    await mkdir(users, { recursive: true });
    await writeFile(mine, '');
    return started;
  });
  // A process that ends without leaving (an uncaught error, process.exit) still leaves, as it exits.
  const leaveNow = (): void => leaveAtExit(dir, mine);
  process.once('exit', leaveNow);
  let left: Promise<void> | undefined;
  return {
    settings: server.settings,
    leave: () =>
      (left ??= underStartLock(dir, logger, async () => {
        rmSync(mine, { force: true });
        process.removeListener('exit', leaveNow);
        joined.delete(dir);
        if ((await liveUsers(users)).length > 0) return;
        await stopLeftover(join(dir, 'data'));
        logger.info('embedded test server stopped: the last process using it is done');
      })),
  };
}

/** Those using the server: the files in `users/` whose process still runs (the others are removed). */
async function liveUsers(users: string): Promise<string[]> {
  const names = await readdir(users).catch(() => [] as string[]);
  return names.filter((name) => {
    if (usedBy(name)) return true;
    rmSync(join(users, name), { force: true });
    return false;
  });
}

function usedBy(name: string): boolean {
  const pid = Number.parseInt(name, 10);
  return Number.isInteger(pid) && processExists(pid);
}

/**
 * The leaving done in the exit handler, synchronously: this process's file goes, and the last to leave asks
 * the server for a fast shutdown without waiting for it. The start lock is only tried: a process starting or
 * joining right now holds it, and counts as a user.
 */
function leaveAtExit(dir: string, mine: string): void {
  rmSync(mine, { force: true });
  const lock = join(dir, 'start.lock');
  try {
    mkdirSync(lock);
  } catch {
    return;
  }
  try {
    const users = readdirSync(join(dir, 'users'));
    if (!users.some(usedBy)) signalPostmaster(join(dir, 'data'));
  } catch {
    // No users folder: nothing was started here to stop.
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * `work` under the start lock, a folder made atomically that holds its holder's pid: a holder that is gone
 * (killed while starting the server) is taken over at once; one that hangs, after STALE_LOCK_MS.
 */
async function underStartLock<T>(dir: string, logger: Logger, work: () => Promise<T>): Promise<T> {
  const lock = join(dir, 'start.lock');
  await mkdir(dir, { recursive: true });
  for (let waited = 0; ; waited += 100) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw lockFailure(lock, error);
      const holder = Number.parseInt(await readFile(join(lock, 'pid'), 'utf8').catch(() => ''), 10);
      const since = await stat(lock).then((info) => Date.now() - info.mtimeMs, () => 0);
      if ((Number.isInteger(holder) && !processExists(holder)) || since > STALE_LOCK_MS) await rm(lock, { recursive: true, force: true });
      else if (waited > 2 * STALE_LOCK_MS) throw lockFailure(lock, error);
      else {
        // Said once, after 2 s: a start takes that long.
        if (waited === 2000) logger.info(`waiting for the embedded test server's start lock ${lock}${Number.isInteger(holder) ? `, held by pid ${holder}` : ''}`);
        await sleep(100);
      }
    }
  }
  try {
    return await work();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

function lockFailure(lock: string, error: unknown): PgshiftError {
  return new PgshiftError('EMBEDDED_START_FAILED', `cannot take the embedded test server's start lock ${lock}: ${(error as Error).message}`, {
    hint: `if no test run is starting the server, remove the folder ${lock}`,
    cause: error,
  });
}
