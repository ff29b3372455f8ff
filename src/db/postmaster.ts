/**
 * The server process on a data directory: what its postmaster.pid says (which server runs there, if any),
 * starting one that outlives the process starting it, and stopping one. The embedded server reuses one left
 * running on its own data; a scratch server orphaned by a killed run is stopped.
 */
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The pid and port the file names, whether or not that process still runs, and its status line (`ready`
 * once it accepts connections, since PostgreSQL 10). Synchronous, for an exit handler too.
 */
function postmasterOf(dataDir: string): { pid: number; port: number; status: string } | undefined {
  const lines = readLines(join(dataDir, 'postmaster.pid'));
  const pid = Number.parseInt(lines?.[0] ?? '', 10);
  return Number.isInteger(pid) ? { pid, port: Number(lines?.[3]), status: (lines?.[7] ?? '').trim() } : undefined;
}

export interface DetachedStart {
  readonly binary: string;
  readonly args: readonly string[];
  readonly dataDir: string;
  /** Where the server writes what it says, appended to: it outlives this process, so no pipe to it can. */
  readonly logPath: string;
  /** The OS user to run it as, when this process is root (PostgreSQL refuses root). */
  readonly ids?: { readonly uid: number; readonly gid: number };
  /** Told the server's pid as soon as it runs: a start interrupted before it is ready must stop it. */
  readonly onSpawned?: (pid: number) => void;
}

/** A start that did not get the server ready, with what it wrote to its log. */
export class PostmasterStartError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
  }
}

/** How long a start may take before it counts as hung: recovery after a crash can replay a lot of WAL. */
const READY_WITHIN_MS = 120_000;

/**
 * Starts a postmaster in a session of its own (setsid), so that a signal to the process group that started
 * it (Ctrl-C in that terminal) does not reach it, and resolves once postmaster.pid says it is ready.
 */
export async function startDetached(start: DetachedStart): Promise<void> {
  const log = openSync(start.logPath, 'a');
  // Where this start's lines begin: the log is appended to by every start.
  const from = fstatSync(log).size;
  let failed: Error | undefined;
  let exited = false;
  try {
    const child = spawn(start.binary, start.args, { detached: true, stdio: ['ignore', log, log], ...start.ids });
    child.on('error', (error) => (failed = error));
    if (child.pid !== undefined) start.onSpawned?.(child.pid);
    child.on('exit', () => (exited = true));
    child.unref();
    for (let waited = 0; ; waited += 50) {
      const now = postmasterOf(start.dataDir);
      if (now !== undefined && now.pid === child.pid && now.status === 'ready') return;
      if (failed !== undefined || exited || waited > READY_WITHIN_MS) {
        if (!exited) child.kill('SIGQUIT');
        const output = readFileSync(start.logPath).subarray(from).toString('utf8');
        throw new PostmasterStartError(failed?.message ?? (exited ? 'the server exited' : `not ready after ${READY_WITHIN_MS / 1000} s`), output);
      }
      await sleep(50);
    }
  } finally {
    closeSync(log);
  }
}

/** How long a server asked to stop may take to go: a fast shutdown ends with a checkpoint. */
const STOPPED_WITHIN_MS = 10_000;

/**
 * A server left running on this data directory (say, by a run that was killed), with the port it listens on.
 * One still starting (its starter was killed before it was ready) is waited for: it refuses connections
 * until then, and its postmaster.pid has no status line at first. One shutting down (the last user of a
 * shared server has just left) is waited out, not joined: it would close every connection made to it.
 */
export async function runningServer(dataDir: string): Promise<{ pid: number; port: number } | undefined> {
  for (let waited = 0; ; waited += 50) {
    const found = postmasterOf(dataDir);
    if (!found || !Number.isInteger(found.port) || found.port === 0 || !processExists(found.pid)) return undefined;
    const patience = found.status === 'starting' || found.status === '' ? READY_WITHIN_MS : found.status === 'stopping' ? STOPPED_WITHIN_MS : 0;
    if (waited >= patience) return found;
    await sleep(50);
  }
}

/**
 * Whether a process of this pid exists, ours to signal or not. A zombie does not: it has exited, and only
 * waits to be reaped, which for an orphan (a detached server whose starter is gone) can take a while.
 */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return statusFields(pid)?.[0] !== 'Z';
}

/**
 * When the process of this pid started (in clock ticks since boot), on Linux: with its pid, what tells it
 * from a later process given the same pid. Undefined where there is no /proc, or no such process.
 */
export function processStart(pid: number): string | undefined {
  return statusFields(pid)?.[19];
}

/** The fields of /proc/<pid>/stat from the third on (the state first). */
function statusFields(pid: number): string[] | undefined {
  // They follow the command name, which is in parentheses and may itself hold any character.
  const stat = readLines(`/proc/${pid}/stat`)?.[0];
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * Stops (fast shutdown) the server left running on `dataDir`: true once none runs there. A pid that is not
 * a postgres process, or not ours to signal, is left alone.
 */
export async function stopLeftover(dataDir: string): Promise<boolean> {
  const stopping = signalPostmaster(dataDir);
  if (stopping === 'none') return true;
  if (stopping === 'not ours') return false;
  for (let waited = 0; waited < STOPPED_WITHIN_MS && processExists(stopping); waited += 100) await sleep(100);
  return !processExists(stopping);
}

/**
 * Asks the server on `dataDir` for a fast shutdown, without waiting: its pid, `none` when none runs there,
 * `not ours` for a pid that is not a postgres process or not ours to signal. Synchronous, for an exit handler.
 */
export function signalPostmaster(dataDir: string): number | 'none' | 'not ours' {
  const pid = postmasterOf(dataDir)?.pid;
  if (pid === undefined || !processExists(pid)) return 'none';
  if (!(readLines(`/proc/${pid}/cmdline`)?.join('') ?? '').includes('postgres')) return 'not ours';
  try {
    process.kill(pid, 'SIGINT');
    return pid;
  } catch {
    return 'not ours';
  }
}

function readLines(path: string): string[] | undefined {
  try {
    return readFileSync(path, 'utf8').split('\n');
  } catch {
    return undefined;
  }
}
