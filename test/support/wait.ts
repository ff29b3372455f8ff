import { setTimeout as sleep } from 'node:timers/promises';

/** Polls until `condition` holds, for tests that must act while another process is at a known point. */
export async function waitFor(condition: () => Promise<boolean>, what = 'the condition'): Promise<void> {
  // A bound on a hang, not a measure of speed: a busy CI machine starting a server can take several seconds.
  for (let tries = 0; tries < 600; tries++) {
    if (await condition()) return;
    await sleep(50);
  }
  throw new Error(`${what} was not reached in 30 s`);
}
