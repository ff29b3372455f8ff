/**
 * A TCP proxy in front of the test server that reads the client's side of the PostgreSQL protocol: it
 * counts the messages of each type pgshift sends, and can add latency in both directions.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface CountingProxy {
  readonly port: number;
  /** Messages sent by clients since the last reset, by type letter ('Q' simple query, 'P' parse, ...). */
  readonly counts: Map<string, number>;
  reset(): void;
  close(): Promise<void>;
}

export async function startProxy(target: URL, delayMs = 0): Promise<CountingProxy> {
  const counts = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    // Without this, Nagle's algorithm and delayed acknowledgements add their own tens of milliseconds.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    let pending = Buffer.alloc(0);
    let started = false;
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      // The startup packet and SSL request have no type byte; every later message does.
      for (;;) {
        if (!started) {
          if (pending.length < 8) break;
          const length = pending.readInt32BE(0);
          if (pending.length < length) break;
          const code = pending.readInt32BE(4);
          started = code !== 80877103; // an SSLRequest is followed by the real startup packet
          pending = pending.subarray(length);
          continue;
        }
        if (pending.length < 5) break;
        const length = pending.readInt32BE(1);
        if (pending.length < length + 1) break;
        const type = String.fromCharCode(pending[0] as number);
        counts.set(type, (counts.get(type) ?? 0) + 1);
        pending = pending.subarray(length + 1);
      }
    });
    const forward = (from: Socket, to: Socket): void => {
      from.on('data', (chunk: Buffer) => {
        if (delayMs === 0) to.write(chunk);
        else void sleep(delayMs).then(() => to.write(chunk));
      });
      from.on('close', () => to.destroy());
      from.on('error', () => to.destroy());
    };
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    counts,
    reset: () => counts.clear(),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
