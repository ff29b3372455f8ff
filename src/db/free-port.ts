/**
 * A free port for a server this process starts. Free when probed, it can be taken by another process
 * before the server binds it (parallel runs, a pooler starting): the start then goes again elsewhere.
 */
import { createServer } from 'node:net';
import { PostmasterStartError } from './postmaster.js';

/** Ports a start tries: another process can bind a free port between the probe and the server's own bind. */
const PORT_TRIES = 3;

/**
 * Runs `start` on a free port, and again on another while the port it was given turns out taken: the
 * server says so, or the port is still held (a probe like ours may have let it go again).
 */
export async function startOnFreePort(lines: string[], start: (port: number) => Promise<void>): Promise<number> {
  for (let tried = 1; ; tried += 1) {
    const port = await freePort();
    const from = lines.length;
    try {
      await start(port);
      return port;
    } catch (error) {
      const said = [...lines.slice(from), error instanceof PostmasterStartError ? error.output : ''].join('\n');
      const taken = /could not create any TCP\/IP sockets/.test(said) || (await freePort(port).then(() => false, () => true));
      if (tried >= PORT_TRIES || !taken) throw error;
      lines.splice(from);
    }
  }
}

/** A port nobody listens on: the one asked for, or any if none is. */
export async function freePort(port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(port, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
