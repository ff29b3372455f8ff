/**
 * The embedded server's port: free when probed, it can be taken by another process before the server binds
 * it (parallel runs, a pooler starting). The start then goes again on another port, a few times at most.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { startOnFreePort } from '../../src/db/free-port.js';

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const close = (servers: readonly Server[]): Promise<unknown> => Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));

test('a port taken between the probe and the bind is given up for another', async () => {
  const held: Server[] = [];
  const given: number[] = [];
  try {
    const port = await startOnFreePort([], async (at) => {
      given.push(at);
      if (given.length === 1) held.push(await listen(at));
      held.push(await listen(at));
    });
    assert.equal(given.length, 2, 'one more try');
    assert.equal(port, given[1]);
    assert.notEqual(port, given[0]);
  } finally {
    await close(held);
  }
});

test('a start that fails for another reason is not tried again', async () => {
  let tries = 0;
  await assert.rejects(
    startOnFreePort([], async () => {
      tries += 1;
      throw new Error('FATAL:  data directory has wrong ownership');
    }),
    /wrong ownership/,
  );
  assert.equal(tries, 1);
});

test('a port taken every time: three tries, then the last failure', async () => {
  const held: Server[] = [];
  try {
    await assert.rejects(
      startOnFreePort([], async (at) => {
        held.push(await listen(at));
        await listen(at);
      }),
      { code: 'EADDRINUSE' },
    );
    assert.equal(held.length, 3);
  } finally {
    await close(held);
  }
});
