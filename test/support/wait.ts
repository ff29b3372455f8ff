import { setTimeout as sleep } from 'node:timers/promises';

/** Polls until `condition` holds, for tests that must act while another process is at a known point. */
export async function waitFor(condition: () => Promise<boolean>, what = 'the condition'): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    if (await condition()) return;
    await sleep(50);
  }
  throw new Error(`${what} was not reached in 10 s`);
}
