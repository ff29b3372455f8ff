/**
 * A real PgBouncer (Debian's `pgbouncer` package, which .ci/run installs) in transaction pooling mode in
 * front of the test server, on a free port, with a folder of its own; stopped and removed after the test
 * file. Transaction mode hands each transaction to whichever server connection is free, so nothing a
 * client sets on its session (a session advisory lock, a SET) is sure to be there for its next one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { serverUrl } from './database.js';
import { waitFor } from './wait.js';

export interface Bouncer {
  /** The URL of `database` through the pooler. */
  urlFor(database: string): string;
}

const BINARY = '/usr/sbin/pgbouncer';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

/**
 * Starts it with `poolSize` server connections per database and user: fewer than the clients a test runs,
 * so transactions of one client do move between server connections.
 */
export async function startBouncer(poolSize = 3): Promise<Bouncer> {
  const upstream = new URL(serverUrl());
  const dir = await mkdtemp(join(tmpdir(), 'pgshift-bouncer-'));
  // Started as root it drops to the OS user postgres, which must read its files and write its socket.
  await chmod(dir, 0o777);
  const port = await freePort();
  const user = decodeURIComponent(upstream.username || 'postgres');
  const password = decodeURIComponent(upstream.password);
  await writeFile(join(dir, 'users.txt'), `"${user}" "${password}"\n`, { mode: 0o644 });
  await writeFile(
    join(dir, 'pgbouncer.ini'),
    `[databases]
* = host=${upstream.hostname} port=${upstream.port || 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir = ${dir}
auth_type = trust
auth_file = ${join(dir, 'users.txt')}
pool_mode = transaction
default_pool_size = ${poolSize}
max_client_conn = 200
ignore_startup_parameters = extra_float_digits
logfile = ${join(dir, 'pgbouncer.log')}
pidfile = ${join(dir, 'pgbouncer.pid')}
`,
    { mode: 0o644 },
  );
  // It refuses to run as root: as root it is told to drop to the OS user postgres.
  const asUser = process.getuid?.() === 0 ? ['-u', 'postgres'] : [];
  const child: ChildProcess = spawn(BINARY, [...asUser, join(dir, 'pgbouncer.ini')], { stdio: 'ignore' });
  after(async () => {
    child.kill('SIGINT');
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)));
    await rm(dir, { recursive: true, force: true });
  });
  const url = (database: string): string => `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${database}`;
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      }),
    'PgBouncer listening',
  );
  return { urlFor: url };
}
