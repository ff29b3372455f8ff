/**
 * A TCP proxy in front of the test server that reads the client's side of the PostgreSQL protocol: it
 * counts the messages of each type pgshift sends, records each connection's startup parameters and the SQL
 * it sent, and can add latency in both directions.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface CountingProxy {
  readonly port: number;
  /** Messages sent by clients since the last reset, by type letter ('Q' simple query, 'P' parse, ...). */
  readonly counts: Map<string, number>;
  /** Every connection since the last reset: its startup parameters (database, user, ...) and its SQL, in order. */
  readonly connections: ProxiedConnection[];
  reset(): void;
  close(): Promise<void>;
}

export interface ProxiedConnection {
  readonly parameters: Record<string, string>;
  /** The text of each simple query ('Q') and each parsed statement ('P'). */
  readonly sql: string[];
  /**
   * For each simple query, how many earlier ones had not been answered yet (no ReadyForQuery forwarded
   * back) when it reached the proxy: more than 0 when the client sent it behind another (pipelined).
   */
  readonly queriesAhead: number[];
}

/** The key/value pairs of a startup packet (after its length and protocol version). */
function startupParameters(packet: Buffer): Record<string, string> {
  const fields = packet.subarray(8).toString('utf8').split('\0');
  const parameters: Record<string, string> = {};
  for (let index = 0; index + 1 < fields.length && fields[index] !== ''; index += 2) parameters[fields[index] as string] = fields[index + 1] as string;
  return parameters;
}

/** A Query message's text, or a Parse message's (after the statement's name). */
function sqlOf(type: string, body: Buffer): string | undefined {
  if (type === 'Q') return body.subarray(0, body.indexOf(0)).toString('utf8');
  if (type !== 'P') return undefined;
  const afterName = body.indexOf(0) + 1;
  return body.subarray(afterName, body.indexOf(0, afterName)).toString('utf8');
}

export async function startProxy(target: URL, delayMs = 0): Promise<CountingProxy> {
  const counts = new Map<string, number>();
  const connections: ProxiedConnection[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    // Without this, Nagle's algorithm and delayed acknowledgements add their own tens of milliseconds.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    let pending = Buffer.alloc(0);
    let started = false;
    let unanswered = 0;
    let sslAnswers = 0;
    const connection: ProxiedConnection = { parameters: {}, sql: [], queriesAhead: [] };
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
          if (!started) sslAnswers++;
          if (started) {
            Object.assign(connection.parameters, startupParameters(pending.subarray(0, length)));
            connections.push(connection);
          }
          pending = pending.subarray(length);
          continue;
        }
        if (pending.length < 5) break;
        const length = pending.readInt32BE(1);
        if (pending.length < length + 1) break;
        const type = String.fromCharCode(pending[0] as number);
        counts.set(type, (counts.get(type) ?? 0) + 1);
        if (type === 'Q') connection.queriesAhead.push(unanswered++);
        const sql = sqlOf(type, pending.subarray(5, length + 1));
        if (sql !== undefined) connection.sql.push(sql);
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
    // Each ReadyForQuery ('Z') the server sends after the client's first query ends the answer to one
    // query. An SSLRequest is answered by one untyped byte, skipped here; like the client's side above,
    // this reads only connections that go on without TLS.
    let answers = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      answers = Buffer.concat([answers, chunk]);
      const skipped = Math.min(sslAnswers, answers.length);
      answers = answers.subarray(skipped);
      sslAnswers -= skipped;
      while (answers.length >= 5) {
        const length = answers.readInt32BE(1);
        if (answers.length < length + 1) break;
        if (answers[0] === 0x5a && connection.queriesAhead.length > 0) unanswered--;
        answers = answers.subarray(length + 1);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    counts,
    connections,
    reset: () => {
      counts.clear();
      connections.length = 0;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
