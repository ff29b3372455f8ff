/**
 * A real PgBouncer (Debian's `pgbouncer` package, which .ci/run installs) in transaction pooling mode in
 * front of the test server, on a free port, with a folder of its own; stopped and removed after the test
 * file. Transaction mode hands each transaction to whichever server connection is free, so nothing a
 * client sets on its session (a session advisory lock, a SET) is sure to be there for its next one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { freePort } from '../../src/db/free-port.js';
import { serverUrl } from './database.js';
import { waitFor } from './wait.js';

export interface Bouncer {
  /** The URL of `database` through the pooler. */
  urlFor(database: string): string;
}

const BINARY = '/usr/sbin/pgbouncer';

/** Ports tried: another process can bind a free port between the probe and PgBouncer's own bind. */
const PORT_TRIES = 3;

/**
 * Starts it with `poolSize` server connections per database and user: fewer than the clients a test runs,
 * so transactions of one client do move between server connections.
 */
export async function startBouncer(poolSize = 3): Promise<Bouncer> {
  const upstream = new URL(serverUrl());
  const dir = await mkdtemp(join(tmpdir(), 'pgshift-bouncer-'));
  // Started as root it drops to the OS user postgres, which must read its files and write its socket.
  await chmod(dir, 0o777);
  const user = decodeURIComponent(upstream.username || 'postgres');
  const password = decodeURIComponent(upstream.password);
  await writeFile(join(dir, 'users.txt'), `"${user}" "${password}"\n`, { mode: 0o644 });
  let child: ChildProcess | undefined;
  after(async () => {
    await stop(child);
    await rm(dir, { recursive: true, force: true });
  });
  for (let tried = 1; ; tried += 1) {
    const port = await freePort();
    child = await launch(dir, upstream, port, poolSize);
    if (child) {
      return { urlFor: (database) => `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${database}` };
    }
    if (tried >= PORT_TRIES) throw new Error(`PgBouncer did not start; its log: ${await readFile(join(dir, 'pgbouncer.log'), 'utf8').catch(() => '')}`);
  }
}

/**
 * PgBouncer listening on `port`, or nothing (it is stopped) when the port was taken: a connection that
 * succeeds is no proof, since it may reach whoever took the port.
 */
async function launch(dir: string, upstream: URL, port: number, poolSize: number): Promise<ChildProcess | undefined> {
  const log = join(dir, 'pgbouncer.log');
  await rm(log, { force: true });
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
logfile = ${log}
pidfile = ${join(dir, 'pgbouncer.pid')}
`,
    { mode: 0o644 },
  );
  // It refuses to run as root: as root it is told to drop to the OS user postgres.
  const asUser = process.getuid?.() === 0 ? ['-u', 'postgres'] : [];
  const child = spawn(BINARY, [...asUser, join(dir, 'pgbouncer.ini')], { stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => (exited = true));
  let said = '';
  // It does not exit when the port is taken: it warns "cannot listen on" and serves its Unix socket alone.
  await waitFor(async () => {
    said = await readFile(log, 'utf8').catch(() => '');
    return exited || said.includes(`listening on 127.0.0.1:${port}`) || said.includes(`cannot listen on 127.0.0.1:${port}`);
  }, 'PgBouncer listening');
  if (said.includes(`listening on 127.0.0.1:${port}`)) return child;
  await stop(child);
  return undefined;
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGINT');
  await new Promise((resolve) => child.once('exit', resolve));
}
