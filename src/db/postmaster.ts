/**
 * What a data directory's postmaster.pid says: which server runs there, if any. The embedded server reuses
 * one left running on its own data; a scratch server orphaned by a killed run is stopped.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The pid and port the file names, whether or not that process still runs. Synchronous, for an exit handler too. */
function postmasterOf(dataDir: string): { pid: number; port: number } | undefined {
  const lines = readLines(join(dataDir, 'postmaster.pid'));
  const pid = Number.parseInt(lines?.[0] ?? '', 10);
  return Number.isInteger(pid) ? { pid, port: Number(lines?.[3]) } : undefined;
}

/** A server left running on this data directory (say, by a run that was killed), with the port it listens on. */
export async function runningServer(dataDir: string): Promise<{ pid: number; port: number } | undefined> {
  const found = postmasterOf(dataDir);
  if (!found || !Number.isInteger(found.port) || found.port === 0) return undefined;
  try {
    process.kill(found.pid, 0);
    return found;
  } catch {
    return undefined;
  }
}

/** Whether a process of this pid exists, ours to signal or not. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Stops (fast shutdown) the server left running on `dataDir`: true once none runs there. A pid that is not
 * a postgres process, or not ours to signal, is left alone.
 */
export async function stopLeftover(dataDir: string): Promise<boolean> {
  const stopping = signalPostmaster(dataDir);
  if (stopping === 'none') return true;
  if (stopping === 'not ours') return false;
  for (let waited = 0; waited < 10_000 && processExists(stopping); waited += 100) await sleep(100);
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
