/**
 * Production-style connections on a server of the test's own: password commands (tokens), .pgpass, TLS
 * modes against a certificate made here, and --wait for a server that is not up yet.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { freePort } from '../../src/db/free-port.js';
import { testDatabase } from '../support/database.js';
import { cleanEnv, errorLine, finished, logLines, makeProject, spawnPgshift } from '../support/project.js';
import { waitFor } from '../support/wait.js';
import { PASS_PASSWORD, startTlsServer, TOKEN } from '../support/tls-server.js';

const server = await startTlsServer();
const project = await makeProject({ 'migrations/001_t.sql': 'CREATE TABLE IF NOT EXISTS t (id int);\n' });

test('--password-command supplies a token as the password, and the token is never printed', async () => {
  const run = await project.run(['up', '--log-level', 'trace', '--password-command', `printf '%s\\n' ${TOKEN}`], {
    env: { DATABASE_URL: server.url('tokenuser') },
  });
  assert.equal(run.status, 0, run.stderr);
  assert.ok(!`${run.stdout}${run.stderr}`.includes(TOKEN), 'the token appears nowhere');
  const viaEnv = await project.run(['status'], { env: { DATABASE_URL: server.url('tokenuser'), PGSHIFT_PASSWORD_COMMAND: `echo ${TOKEN}` } });
  assert.equal(viaEnv.status, 0, viaEnv.stderr);
});

test('a password command beats PGPASSWORD, a password in the URL (also ?password=) and .pgpass', async () => {
  const stale = 'stale-token-9f2';
  const pgpass = project.path('stale-pgpass');
  await writeFile(pgpass, `127.0.0.1:${server.port}:*:tokenuser:${stale}\n`);
  await chmod(pgpass, 0o600);
  const variables = { PGHOST: '127.0.0.1', PGPORT: String(server.port), PGUSER: 'tokenuser', PGDATABASE: 'postgres' };
  for (const env of [
    { DATABASE_URL: server.url('tokenuser', stale) },
    { DATABASE_URL: server.url('tokenuser', undefined, '127.0.0.1', `?password=${stale}`) },
    { ...variables, PGPASSWORD: stale },
    { ...variables, PGPASSFILE: pgpass },
  ]) {
    for (const [args, extra] of [
      [['--password-command', `echo ${TOKEN}`], {}],
      [[], { PGSHIFT_PASSWORD_COMMAND: `echo ${TOKEN}` }],
    ] as const) {
      const run = await project.run(['status', ...args], { env: { ...env, ...extra } });
      assert.equal(run.status, 0, `${JSON.stringify(Object.keys(env))} ${args.join(' ')}: ${run.stderr}`);
      assert.ok(!`${run.stdout}${run.stderr}`.includes(stale) && !`${run.stdout}${run.stderr}`.includes(TOKEN));
    }
  }
});

test('?password= in the URL logs in as libpq does, and is never shown', async () => {
  const run = await project.run(['status', '--log-level', 'trace'], { env: { DATABASE_URL: server.url('tokenuser', undefined, '127.0.0.1', `?password=${TOKEN}`) } });
  assert.equal(run.status, 0, run.stderr);
  assert.ok(!`${run.stdout}${run.stderr}`.includes(TOKEN), 'the password appears nowhere');
  const wrong = await project.run(['status'], { env: { DATABASE_URL: server.url('tokenuser', undefined, '127.0.0.1', '?password=wrong-zz1') } });
  assert.equal(wrong.status, 5, wrong.stderr);
  assert.match(String(errorLine(wrong.stderr)['msg']), /^could not connect to tokenuser@127\.0\.0\.1:\d+\/postgres: password authentication failed/);
  assert.ok(!wrong.stderr.includes('wrong-zz1'));
});

test('the target line says whether TLS was negotiated under the configured sslmode', async () => {
  const run = await project.run(['status', '--database', server.url('tlsonly', 'tls-pw', '127.0.0.1', '?sslmode=require')]);
  assert.equal(run.status, 0, run.stderr);
  const line = logLines(run.stderr).find((entry) => String(entry['msg']).startsWith('connected to '));
  assert.deepEqual([line?.['target'], line?.['sslmode'], line?.['tls'], line?.['source']], [`tlsonly@127.0.0.1:${server.port}/postgres`, 'require', true, '--database']);
  assert.match(String(line?.['msg']), /\(sslmode=require, TLS negotiated\), chosen by --database$/);
});

test('a wrong token fails with exit 5 without showing it', async () => {
  const run = await project.run(['status', '--password-command', 'echo wrong-token-zz'], { env: { DATABASE_URL: server.url('tokenuser') } });
  assert.equal(run.status, 5);
  assert.match(String(errorLine(run.stderr)['msg']), /password authentication failed for user "tokenuser"/);
  assert.ok(!run.stderr.includes('wrong-token-zz'));
});

test('a failing password command is exit 2 and shows its stderr', async () => {
  const run = await project.run(['status', '--password-command', 'echo "token service unreachable" >&2; exit 3'], {
    env: { DATABASE_URL: server.url('tokenuser') },
  });
  assert.equal(run.status, 2, run.stderr);
  assert.match(String(errorLine(run.stderr)['msg']), /the password command failed: it exited with 3; its stderr: token service unreachable/);
});

test('.pgpass (PGPASSFILE) gives the password when none is set, and is ignored when others may read it', async () => {
  const file = project.path('pgpass');
  await writeFile(file, `127.0.0.1:${server.port}:*:passuser:${PASS_PASSWORD}\n`);
  await chmod(file, 0o600);
  const run = await project.run(['status'], { env: { DATABASE_URL: server.url('passuser'), PGPASSFILE: file } });
  assert.equal(run.status, 0, run.stderr);
  await chmod(file, 0o644);
  const open = await project.run(['status'], { env: { DATABASE_URL: server.url('passuser'), PGPASSFILE: file } });
  assert.equal(open.status, 5, 'libpq ignores a password file that others can read');
  // Why it was ignored is one of pgshift's log lines, with what to do: no raw text from the library.
  const warning = logLines(open.stderr).find((line) => line['level'] === 40);
  assert.equal(warning?.['msg'], `password file "${file}" has group or world access; permissions should be u=rw (0600) or less: pgshift ignores it, as libpq does`);
  assert.match(String(warning?.['hint']), /chmod 600/);
  assert.deepEqual(open.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('{')), []);
});

test('sslmode=require encrypts without checking the certificate', async () => {
  const run = await project.run(['status', '--database', server.url('tlsonly', 'tls-pw', '127.0.0.1', '?sslmode=require')]);
  assert.equal(run.status, 0, run.stderr);
  const viaEnv = await project.run(['status'], { env: { PGHOST: '127.0.0.1', PGPORT: String(server.port), PGUSER: 'tlsonly', PGPASSWORD: 'tls-pw', PGDATABASE: 'postgres', PGSSLMODE: 'require' } });
  assert.equal(viaEnv.status, 0, viaEnv.stderr);
});

test('a server that requires TLS says so when it is disabled', async () => {
  const run = await project.run(['status', '--database', server.url('tlsonly', 'tls-pw', '127.0.0.1', '?sslmode=disable')]);
  assert.equal(run.status, 5);
  const error = errorLine(run.stderr);
  assert.match(String(error?.['hint']), /only over TLS: set sslmode=require/);
});

test('verify-full fails on an unknown CA, and on a certificate for another name; passes with the right root cert and name', async () => {
  const unknownCa = await project.run(['status', '--database', server.url('tlsonly', 'tls-pw', 'localhost', '?sslmode=verify-full')]);
  assert.equal(unknownCa.status, 5, unknownCa.stderr + unknownCa.stdout);
  assert.match(String(errorLine(unknownCa.stderr)['msg']), /the server's TLS certificate does not verify/);

  const root = `&sslrootcert=${encodeURIComponent(server.caFile)}`;
  const wrongName = await project.run(['status', '--database', server.url('tlsonly', 'tls-pw', '127.0.0.1', `?sslmode=verify-full${root}`)]);
  assert.equal(wrongName.status, 5);
  const hint = String(errorLine(wrongName.stderr)?.['hint']);
  assert.match(hint, /not for this host name/);

  const verifyCa = await project.run(['status', '--database', server.url('tlsonly', 'tls-pw', '127.0.0.1', `?sslmode=verify-ca${root}`)]);
  assert.equal(verifyCa.status, 0, verifyCa.stderr);
  const full = await project.run(['status', '--database', server.url('tlsonly', 'tls-pw', 'localhost', `?sslmode=verify-full${root}`)]);
  assert.equal(full.status, 0, full.stderr);
  const viaEnv = await project.run(['status'], {
    env: { DATABASE_URL: server.url('tlsonly', 'tls-pw', 'localhost'), PGSSLMODE: 'verify-full', PGSSLROOTCERT: server.caFile },
  });
  assert.equal(viaEnv.status, 0, viaEnv.stderr);
});

/**
 * A free port that no other process of the suite can be handed while this test leaves it unbound: below
 * the system's range for ports chosen by the system (listen on port 0), which is all the suite's others use.
 */
async function portBelowEphemeral(): Promise<number> {
  const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  for (;;) {
    const port = await freePort(low - 1 - Math.floor(Math.random() * 8000)).catch(() => undefined);
    if (port !== undefined) return port;
  }
}

test('up --wait keeps trying until a server appears, then applies', async () => {
  // The "server" is a proxy to the test's database that starts listening only after pgshift has begun.
  const db = await testDatabase(import.meta.url);
  const target = new URL(db.url);
  const proxy = createServer((client) => {
    const upstream = createConnection(Number(target.port || 5432), target.hostname);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  // Connections are refused there until the proxy listens on it.
  const port = await portBelowEphemeral();
  const url = new URL(db.url);
  url.port = String(port);
  // Listening only once pgshift has been refused at least once (a fixed delay is flaky on a loaded machine).
  const child = spawnPgshift(['up', '--wait', '30'], project.dir, cleanEnv({ DATABASE_URL: url.toString() }));
  let said = '';
  child.stderr?.on('data', (chunk: Buffer) => void (said += chunk.toString()));
  const running = finished(child);
  await waitFor(async () => said.includes('retrying in'), 'a first refused attempt');
  await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
  try {
    const run = await running;
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /connection refused \(ECONNREFUSED\); retrying in \d+ ms \(--wait, attempt 1\)/);
    assert.deepEqual([...(await db.sql`SELECT version::int, name FROM schema_migrations`)], [{ version: 1, name: 't' }], 'applied to the database behind the proxy');
  } finally {
    proxy.close();
  }
});

test('a wrong password fails at once even with --wait', async () => {
  const started = performance.now();
  const run = await project.run(['status', '--wait', '30', '--database', server.url('passuser', 'not-it')]);
  assert.equal(run.status, 5);
  assert.ok(performance.now() - started < 10_000, 'no waiting on an authentication failure');
  assert.doesNotMatch(run.stderr, /retrying/);
});

test('--connect-timeout bounds each attempt on a server that accepts but never answers', async () => {
  const silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const address = silent.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  try {
    const started = performance.now();
    const run = await project.run(['status', '--connect-timeout', '1', '--database', `postgres://postgres@127.0.0.1:${port}/x`]);
    assert.equal(run.status, 5, run.stderr);
    assert.match(String(errorLine(run.stderr)['msg']), /timed out after 1 s/);
    assert.ok(performance.now() - started < 8000, 'gave up after about a second, not the default 30');
  } finally {
    silent.close();
  }
});

/** A local server that accepts connections and never answers; it counts the connections it got. */
async function silentServer(host: string): Promise<{ server: Server; port: number; accepted: () => number }> {
  let accepted = 0;
  const server = createServer(() => void accepted++);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0, accepted: () => accepted };
}

test('an IPv6 host ([::1] in the URL, or PGHOST=::1) is the address connected to, never 127.0.0.1', async () => {
  // Listening on ::1 only: a connection that went to 127.0.0.1 instead would be refused, not counted.
  const silent = await silentServer('::1');
  try {
    const viaUrl = await project.run(['status', '--connect-timeout', '1', '--database', `postgres://postgres@[::1]:${silent.port}/x`]);
    assert.equal(viaUrl.status, 5, viaUrl.stderr);
    assert.match(String(errorLine(viaUrl.stderr)['msg']), new RegExp(`^could not connect to postgres@\\[::1\\]:${silent.port}/x: timed out after 1 s`));
    const viaEnv = await project.run(['status', '--connect-timeout', '1'], { env: { PGHOST: '::1', PGPORT: String(silent.port), PGUSER: 'postgres', PGDATABASE: 'x' } });
    assert.equal(viaEnv.status, 5, viaEnv.stderr);
    assert.match(String(errorLine(viaEnv.stderr)['msg']), /postgres@\[::1\]:\d+\/x: timed out/);
    assert.ok(silent.accepted() >= 2, 'both runs reached the server on ::1');
    assert.doesNotMatch(`${viaUrl.stderr}${viaEnv.stderr}`, /RangeError|ERR_SOCKET_BAD_PORT|at .*\.js:\d+/);
  } finally {
    silent.server.close();
  }
});

test('a server that accepts but never answers fails after --connect-timeout, without reconnecting in a loop', async () => {
  const silent = await silentServer('127.0.0.1');
  try {
    const started = performance.now();
    const run = await project.run(['status', '--connect-timeout', '2', '--database', `postgres://postgres@127.0.0.1:${silent.port}/x`]);
    const elapsed = performance.now() - started;
    assert.equal(run.status, 5, run.stderr);
    assert.match(String(errorLine(run.stderr)['msg']), new RegExp(`postgres@127\\.0\\.0\\.1:${silent.port}/x: timed out after 2 s`));
    assert.ok(elapsed >= 1900 && elapsed < 8000, `gave up after about 2 s (took ${elapsed} ms)`);
    assert.ok(silent.accepted() <= 3, `no reconnect loop (${silent.accepted()} connections)`);
  } finally {
    silent.server.close();
  }
});

test('SIGINT while connecting stops at once with exit 130, without claiming a statement was cancelled', async () => {
  const silent = await silentServer('127.0.0.1');
  try {
    const child = spawnPgshift(['status', '--connect-timeout', '60', '--database', `postgres://postgres@127.0.0.1:${silent.port}/x`], project.dir, cleanEnv());
    await waitFor(async () => silent.accepted() > 0, 'pgshift connecting');
    const started = performance.now();
    child.kill('SIGINT');
    const run = await finished(child);
    assert.equal(run.status, 130, run.stderr);
    assert.ok(performance.now() - started < 5000, 'stopped at once');
    assert.match(run.stderr, /interrupted while connecting to postgres@127\.0\.0\.1/);
    assert.doesNotMatch(run.stderr, /cancelling the running statement/);
  } finally {
    silent.server.close();
  }
});

test('SIGINT in the pause between --wait attempts stops within a moment, not when the pause ends', async () => {
  const child = spawnPgshift(['status', '--wait', '30', '--database', 'postgres://postgres@127.0.0.1:1/x'], project.dir, cleanEnv());
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // The pauses double up to 2 s: after attempt 4 the run is in a pause of 2 s.
  await waitFor(async () => /attempt 4\)/.test(stderr), 'the fourth retry pause');
  const started = performance.now();
  child.kill('SIGINT');
  const run = await finished(child);
  assert.equal(run.status, 130, run.stderr);
  assert.ok(performance.now() - started < 1000, `stopped within ${performance.now() - started} ms`);
  assert.match(stderr + run.stderr, /interrupted while waiting to connect \(--wait, attempt 4\)/);
});

test('up and down --wait on a server that is not up stop at once on a file with a problem of its own; status keeps waiting', async () => {
  const broken = await makeProject({ 'migrations/001_t.sql': 'CREATE TABLE IF NOT EXISTS t (id int);\n', 'migrations/002-typo.sql': 'SELECT 1;\n' });
  const down = 'postgres://postgres@127.0.0.1:1/x';
  for (const command of [['up'], ['down', '--all']]) {
    const started = performance.now();
    const run = await broken.run([...command, '--wait', '30', '--database', down]);
    assert.equal(run.status, 3, run.stderr);
    assert.ok(performance.now() - started < 10_000, `${command[0]} answered in ${performance.now() - started} ms, not after --wait`);
    const error = errorLine(run.stderr);
    assert.equal(error['code'], 'VALIDATION_FAILED');
    assert.match(String(error['msg']), /migrations\/002-typo\.sql/);
    // It stopped at the first failed attempt, before any pause.
    assert.doesNotMatch(run.stderr, /retrying in/);
  }
  // status reports such a file along with the ledger, so it waits for the server as asked.
  const status = await broken.run(['status', '--wait', '1', '--database', down]);
  assert.equal(status.status, 5, status.stderr);
  assert.match(String(errorLine(status.stderr)['msg']), /gave up after \d+ attempts in 1 s of --wait/);
});

test('a password command that hangs is stopped after the connect timeout (exit 2), and killed on SIGTERM', async () => {
  const hanging = (pidFile: string): string => `sleep 100 & echo $! > ${pidFile}; wait`;
  const pidFile = `${project.dir}/sleeper.pid`;
  const started = performance.now();
  const run = await project.run(['status', '--connect-timeout', '1', '--password-command', hanging(pidFile)], { env: { DATABASE_URL: server.url('tokenuser') } });
  assert.equal(run.status, 2, run.stderr);
  assert.match(String(errorLine(run.stderr)['msg']), /the password command took longer than 1 s/);
  assert.ok(performance.now() - started < 8000, 'did not wait for the command');
  const first = Number(await readFile(pidFile, 'utf8'));
  await waitFor(async () => !alive(first), 'the command and what it started gone');

  const secondPidFile = `${project.dir}/sleeper-2.pid`;
  const child = spawnPgshift(['status', '--password-command', hanging(secondPidFile)], project.dir, cleanEnv({ DATABASE_URL: server.url('tokenuser') }));
  const sleeper = async (): Promise<number> => Number(await readFile(secondPidFile, 'utf8').catch(() => ''));
  await waitFor(async () => (await sleeper()) > 0, 'the password command started');
  const started2 = performance.now();
  child.kill('SIGTERM');
  const stopped = await finished(child);
  assert.equal(stopped.status, 130, stopped.stderr);
  assert.ok(performance.now() - started2 < 5000, 'stopped at once');
  const pid = await sleeper();
  await waitFor(async () => !alive(pid), 'the command killed with pgshift');
});

/** Whether the process still runs: a killed one whose parent is gone may stay a zombie (state Z) a while. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
