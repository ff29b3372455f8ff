/** The profile's phases: work done side by side is counted once, as the phase that started last. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { phasesSoFar, timed } from '../../src/core/timings.js';

test('a phase that runs inside another takes its own time out of it; together they add up to the time covered', async () => {
  let inner = 0;
  let within = 0;
  const outerStart = performance.now();
  await timed('read', async () => {
    const callbackStart = performance.now();
    await sleep(20);
    const innerStart = performance.now();
    await timed('connect', () => sleep(30));
    inner = performance.now() - innerStart;
    await sleep(10);
    within = performance.now() - callbackStart;
  });
  // Measured around the call, so it may also hold the turns of a loaded event loop before and after it.
  const outer = performance.now() - outerStart;
  await timed('apply', () => sleep(5));
  const phases = new Map(phasesSoFar());
  assert.deepEqual([...phases.keys()], ['read', 'connect', 'apply'], 'in the order they started');
  const [read, connect] = [phases.get('read') as number, phases.get('connect') as number];
  // Whole milliseconds, each rounded: a millisecond either way.
  assert.ok(Math.abs(connect - inner) <= 1, `connect ${connect} ms, measured ${inner} ms`);
  // The two phases cover the call: no less than its callback ran, no more than was measured around it.
  assert.ok(read + connect >= within - 2 && read + connect <= outer + 2, `read ${read} + connect ${connect} ms against ${within}-${outer} ms covered`);
  assert.ok(read < outer - 25, 'read does not count the time connect ran inside it');
});
