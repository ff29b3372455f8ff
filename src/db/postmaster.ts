/**
 * What a data directory's postmaster.pid says: which server runs there, if any. The embedded server reuses
 * one left running on its own data; a scratch server orphaned by a killed run is stopped.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The pid and port the file names, whether or not that process still runs. */
async function postmasterOf(dataDir: string): Promise<{ pid: number; port: number } | undefined> {
  const lines = await readFile(join(dataDir, 'postmaster.pid'), 'utf8').then((text) => text.split('\n'), () => undefined);
  const pid = Number.parseInt(lines?.[0] ?? '', 10);
  return Number.isInteger(pid) ? { pid, port: Number(lines?.[3]) } : undefined;
}

/** A server left running on this data directory (say, by a run that was killed), with the port it listens on. */
export async function runningServer(dataDir: string): Promise<{ pid: number; port: number } | undefined> {
  const found = await postmasterOf(dataDir);
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
  const found = await postmasterOf(dataDir);
  if (!found || !processExists(found.pid)) return true;
  const command = await readFile(`/proc/${found.pid}/cmdline`, 'utf8').catch(() => '');
  if (!command.includes('postgres')) return false;
  try {
    process.kill(found.pid, 'SIGINT');
  } catch {
    return false;
  }
  for (let waited = 0; waited < 10_000 && processExists(found.pid); waited += 100) await sleep(100);
  return !processExists(found.pid);
}
