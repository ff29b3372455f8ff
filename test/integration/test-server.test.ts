/**
 * The embedded test server (`embedded: true`), as a test runner uses it: one process per test file, each
 * starting it or joining it. A process that started it ends on its own while another still uses it, and
 * that one keeps working; the last to end stops it. Runs on its own embedded server whatever
 * TEST_DATABASE_URL says: that is the feature under test.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { processExists } from '../../src/db/postmaster.js';
import { makeProject, repoRoot } from '../support/project.js';
import { waitFor } from '../support/wait.js';

/** A test file's process: asks for a test database on the embedded server, then one more each time it reads a line. */
const WORKER = `
  import { createTestDatabase } from ${JSON.stringify(`${repoRoot}dist/index.js`)};
  import postgres from 'postgres';
  import { createInterface } from 'node:readline';
  const ask = async () => {
    const database = await createTestDatabase({ cwd: process.env.PROJECT_DIR, embedded: true });
    const sql = postgres(database.url, { max: 1 });
    const [{ n }] = await sql\`SELECT count(*)::int AS n FROM users\`;
    await sql.end();
    console.log(JSON.stringify({ name: database.name, users: n, safe: database.safeUrl }));
  };
  await ask();
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'again') await ask();
    if (line === 'crash') throw new Error('a test file that crashed');
  }`;

interface Worker {
  readonly child: ChildProcess;
  next(): Promise<{ name: string; users: number; safe: string }>;
}

/** `group`: in a process group of its own, as a test run started from a terminal is. */
function worker(cwd: string, group = false): Worker {
  // It runs in this repository, for its node_modules, and finds the project by its path.
  const child = spawn(process.execPath, ['--input-type=module', '-e', WORKER], {
    cwd: repoRoot,
    env: { ...process.env, PROJECT_DIR: cwd },
    stdio: ['pipe', 'pipe', 'inherit'],
    detached: group,
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return {
    child,
    async next() {
      const { value, done } = await lines.next();
      assert.ok(!done, 'the worker ended before answering');
      return JSON.parse(value as string) as { name: string; users: number; safe: string };
    },
  };
}

async function serverPid(cwd: string): Promise<number | undefined> {
  const text = await readFile(`${cwd}/.pgshift/test-server/data/postmaster.pid`, 'utf8').catch(() => undefined);
  const pid = Number.parseInt(text ?? '', 10);
  return Number.isInteger(pid) && processExists(pid) ? pid : undefined;
}

async function exited(child: ChildProcess, seconds: number): Promise<number | null> {
  // Gone already: its exit event has been and will not come again.
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const timer = setTimeout(() => child.kill('SIGKILL'), seconds * 1000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return code;
}

test('two test files at once: the first ends on its own while the second works on, and the last one out stops the server', async () => {
  const project = await makeProject({
    'migrations/001_users.sql': 'CREATE TABLE users (id int PRIMARY KEY);\n',
    'migrations/002_seed.sql': 'INSERT INTO users VALUES (1), (2);\n',
  });
  const first = worker(project.dir);
  const one = await first.next();
  assert.equal(one.users, 2);
  assert.match(one.safe, /^postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/pgshift_test_/);
  const server = await serverPid(project.dir);
  assert.ok(server !== undefined, 'the first process started the server');

  const second = worker(project.dir);
  const two = await second.next();
  assert.notEqual(two.name, one.name);
  // The first has nothing left to do: it ends by itself, and the server it started stays for the second.
  first.child.stdin!.end();
  assert.equal(await exited(first.child, 30), 0, 'the process that started the server ends on its own');
  assert.equal(await serverPid(project.dir), server);
  second.child.stdin!.write('again\n');
  assert.equal((await second.next()).users, 2);

  second.child.stdin!.end();
  assert.equal(await exited(second.child, 30), 0);
  assert.equal(await serverPid(project.dir), undefined, 'the last one out stopped the server');
  assert.ok(!processExists(server));
});

test("Ctrl-C in the terminal of the run that started the server (SIGINT to its process group) leaves the server to another run using it; the last run, ended by SIGTERM, stops it", async () => {
  const project = await makeProject({ 'migrations/001_users.sql': 'CREATE TABLE users (id int PRIMARY KEY);\n' });
  const starting = worker(project.dir, true);
  await starting.next();
  const server = await serverPid(project.dir);
  assert.ok(server !== undefined);
  const other = worker(project.dir, true);
  await other.next();
  process.kill(-starting.child.pid!, 'SIGINT');
  assert.notEqual(await exited(starting.child, 30), 0, 'the interrupted run ends');
  assert.equal(await serverPid(project.dir), server, 'the server still runs');
  other.child.stdin!.write('again\n');
  assert.equal((await other.next()).users, 0, 'the other run still gets databases');
  // The last run, ended by a signal (Node has no exit event then), still stops the server as it goes.
  process.kill(-other.child.pid!, 'SIGTERM');
  assert.notEqual(await exited(other.child, 30), 0);
  await waitFor(async () => !processExists(server), 'the server stopping after the last run, ended by SIGTERM');
});

test("a test server that cannot start says why, from its log, and leaves no lock or user behind", async () => {
  const project = await makeProject({ 'migrations/001_users.sql': 'CREATE TABLE users (id int PRIMARY KEY);\n' });
  const { startTestServer, createTestDatabase } = await import('../../src/index.js');
  await (await startTestServer({ cwd: project.dir })).stop();
  const conf = project.path('.pgshift/test-server/data/postgresql.conf');
  await writeFile(conf, `${await readFile(conf, 'utf8')}\nshared_buffers = 'lots'\n`);
  await assert.rejects(createTestDatabase({ cwd: project.dir, embedded: true }), (error: Error & { code?: string; hint?: string }) => {
    assert.equal(error.code, 'EMBEDDED_START_FAILED');
    assert.match(error.message, /did not start: invalid value for parameter "shared_buffers": "lots"; FATAL: +configuration file/);
    assert.match(String(error.hint), /test-server\/postgres\.log/);
    return true;
  });
  assert.deepEqual(await readdir(project.path('.pgshift/test-server')).then((names) => names.filter((name) => name === 'start.lock')), []);
  const users = await readdir(project.path('.pgshift/test-server/users')).catch(() => [] as string[]);
  assert.deepEqual(users.filter((name) => name.startsWith(`${process.pid}-`)), []);
});

test('a first start killed with its whole process group during initdb leaves nothing the next start trips on', async () => {
  const project = await makeProject({ 'migrations/001_users.sql': 'CREATE TABLE users (id int PRIMARY KEY);\n' });
  const killed = worker(project.dir, true);
  const folder = project.path('.pgshift/test-server');
  // Killed once initdb is writing: its folder is there, the data directory not yet.
  await waitFor(async () => (await readdir(folder).catch(() => [] as string[])).some((name) => name.startsWith('data.init-')), 'initdb starting');
  process.kill(-killed.child.pid!, 'SIGKILL');
  await exited(killed.child, 30);
  assert.ok(!(await readdir(folder)).includes('data'), 'no data directory was made of the unfinished initdb');
  const next = worker(project.dir);
  assert.equal((await next.next()).users, 0);
  next.child.stdin!.end();
  assert.equal(await exited(next.child, 30), 0);
  assert.deepEqual((await readdir(folder)).filter((name) => name.startsWith('data.init-')), []);
  // Nor the password the killed initdb was handed in a file of the temporary folder.
  const password = (await readFile(project.path('.pgshift/test-server/password'), 'utf8')).trim();
  for (const name of (await readdir(tmpdir())).filter((file) => file.startsWith('pg-password-'))) {
    assert.notEqual((await readFile(join(tmpdir(), name), 'utf8').catch(() => '')).trim(), password, `${name} holds the server's password`);
  }
});

test("Ctrl-C during a first start's initdb leaves no folder, lock or password file behind", async () => {
  const project = await makeProject({ 'migrations/001_users.sql': 'CREATE TABLE users (id int PRIMARY KEY);\n' });
  const folder = project.path('.pgshift/test-server');
  const interrupted = worker(project.dir, true);
  await waitFor(async () => (await readdir(folder).catch(() => [] as string[])).some((name) => name.startsWith('data.init-')), 'initdb starting');
  process.kill(-interrupted.child.pid!, 'SIGINT');
  assert.notEqual(await exited(interrupted.child, 30), 0);
  const left = await readdir(folder);
  assert.deepEqual(left.filter((name) => name.startsWith('data') || name === 'start.lock'), [], left.join(', '));
  const password = (await readFile(join(folder, 'password'), 'utf8')).trim();
  for (const name of (await readdir(tmpdir())).filter((file) => file.startsWith('pg-password-'))) {
    assert.notEqual((await readFile(join(tmpdir(), name), 'utf8').catch(() => '')).trim(), password, `${name} holds the server's password`);
  }
});

test('Ctrl-C while the run starts the server stops what it started and gives back the lock; a lock left without its pid is taken over', async () => {
  const project = await makeProject({ 'migrations/001_users.sql': 'CREATE TABLE users (id int PRIMARY KEY);\n' });
  const folder = project.path('.pgshift/test-server');
  // A holder killed between making the lock and writing its pid, a while ago.
  await mkdir(join(folder, 'start.lock'), { recursive: true });
  const past = new Date(Date.now() - 10_000);
  await utimes(join(folder, 'start.lock'), past, past);
  const interrupted = worker(project.dir, true);
  // Interrupted once the server process runs, before it is ready (its pid file comes first).
  let server: number | undefined;
  await waitFor(async () => (server = await serverPid(project.dir)) !== undefined, 'the server process starting');
  process.kill(-interrupted.child.pid!, 'SIGINT');
  assert.notEqual(await exited(interrupted.child, 30), 0);
  await waitFor(async () => !processExists(server!), 'the server it was starting to stop');
  assert.ok(!(await readdir(folder)).includes('start.lock'), 'the lock was given back');
  const next = worker(project.dir);
  assert.equal((await next.next()).users, 0);
  next.child.stdin!.end();
  assert.equal(await exited(next.child, 30), 0);
});

test('a start killed outright before the server is ready: the processes waiting for it wait for that server, then use it', async () => {
  const project = await makeProject({ 'migrations/001_users.sql': 'CREATE TABLE users (id int PRIMARY KEY);\n' });
  const folder = project.path('.pgshift/test-server');
  const starter = worker(project.dir, true);
  await waitFor(async () => (await readdir(folder).catch(() => [] as string[])).includes('start.lock'), 'the start under way');
  const waiting = [worker(project.dir), worker(project.dir)];
  // Killed as soon as its server runs, most often before that server is ready: it runs on, in a session of its own.
  let server: number | undefined;
  await waitFor(async () => (server = await serverPid(project.dir)) !== undefined, 'the server process starting');
  process.kill(starter.child.pid!, 'SIGKILL');
  for (const { next } of waiting) assert.equal((await next()).users, 0);
  assert.equal(await serverPid(project.dir), server, 'the server the killed start left is the one used');
  for (const { child } of waiting) {
    child.stdin!.end();
    assert.equal(await exited(child, 30), 0);
  }
  await waitFor(async () => !processExists(server!), 'the server stopping after the last user');
});

test("a runner whose own Ctrl-C handler calls process.exit(), and again from its exit listener (Vitest's do), still stops the server", async () => {
  const project = await makeProject({ 'migrations/001_users.sql': 'CREATE TABLE users (id int PRIMARY KEY);\n' });
  const folder = project.path('.pgshift/test-server');
  // Registered before the server is joined, as a runner's are: the second process.exit() skips every exit listener after it.
  const runner = `
    process.on('exit', () => process.exit());
    process.on('SIGINT', () => process.exit(1));
    const { createTestDatabase } = await import(${JSON.stringify(`${repoRoot}dist/index.js`)});
    await createTestDatabase({ cwd: process.env.PROJECT_DIR, embedded: true, spares: 0 });
    console.log('ready');
    setTimeout(() => undefined, 60_000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', runner], { env: { ...process.env, PROJECT_DIR: project.dir }, stdio: ['ignore', 'pipe', 'inherit'] });
  await once(child.stdout!, 'data');
  const server = await serverPid(project.dir);
  assert.ok(server !== undefined);
  child.kill('SIGINT');
  assert.equal(await exited(child, 30), 1);
  await waitFor(async () => !processExists(server), 'the server stopping after the runner exited');
  assert.deepEqual(await readdir(join(folder, 'users')), [], 'no user left');
});

test('four processes of one group, signalled together, leave together: the server stops and no lock is left', async () => {
  // The last round is node --test's Ctrl-C: the group's SIGINT, then the runner's SIGTERM to each file a moment later.
  const project = await makeProject({ 'migrations/001_users.sql': 'CREATE TABLE users (id int PRIMARY KEY);\n' });
  const folder = project.path('.pgshift/test-server');
  const holding = `
    import { createTestDatabase } from ${JSON.stringify(`${repoRoot}dist/index.js`)};
    await createTestDatabase({ cwd: process.env.PROJECT_DIR, embedded: true, spares: 0 });
    setTimeout(() => undefined, 60_000);`;
  for (const [signal, then] of [['SIGTERM'], ['SIGINT'], ['SIGHUP'], ['SIGINT', 'SIGTERM']] as const) {
    const group = spawn('bash', ['-c', `for k in 1 2 3 4; do "${process.execPath}" --input-type=module -e "$HOLDING" & done; wait`], {
      cwd: repoRoot,
      env: { ...process.env, PROJECT_DIR: project.dir, HOLDING: holding },
      stdio: 'ignore',
      detached: true,
    });
    await waitFor(async () => (await readdir(join(folder, 'users')).catch(() => [] as string[])).length === 4, 'four processes using the server');
    const server = await serverPid(project.dir);
    process.kill(-group.pid!, signal);
    if (then !== undefined) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      process.kill(-group.pid!, then);
    }
    await exited(group, 30);
    await waitFor(async () => server === undefined || !processExists(server), `the server stopping after ${[signal, then].filter(Boolean).join(' then ')}`);
    const left = await readdir(folder);
    assert.ok(!left.includes('start.lock'), `${signal}: no lock left`);
    assert.deepEqual(await readdir(join(folder, 'users')), [], `${signal}: no user left`);
  }
});

test('a process that ends while another holds the start lock leaves the look for users to the holder, which stops the server as it gives the lock back', async () => {
  const project = await makeProject({ 'migrations/001_users.sql': 'CREATE TABLE users (id int PRIMARY KEY);\n' });
  const folder = project.path('.pgshift/test-server');
  const user = worker(project.dir, true);
  await user.next();
  const server = await serverPid(project.dir);
  assert.ok(server !== undefined);
  // A holder that keeps the lock far past the 1 s a process ending waits for it, until told to give it back.
  const holding = `
    import { underStartLock } from ${JSON.stringify(`${repoRoot}src/db/test-server.ts`)};
    import { createInterface } from 'node:readline';
    await underStartLock(process.env.FOLDER, { debug() {}, info() {}, warn() {}, error() {} }, async () => {
      console.log('holding');
      for await (const line of createInterface({ input: process.stdin })) if (line === 'release') break;
    });`;
  const holder = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', holding], {
    cwd: repoRoot,
    env: { ...process.env, FOLDER: folder },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const [said] = (await once(holder.stdout!, 'data')) as [Buffer];
  assert.equal(said.toString().trim(), 'holding');
  process.kill(-user.child.pid!, 'SIGTERM');
  assert.notEqual(await exited(user.child, 30), 0);
  assert.deepEqual(await readdir(join(folder, 'users')), [], 'the user left');
  assert.ok((await readdir(folder)).includes('check.pending'), 'it asked the holder to look');
  assert.equal(await serverPid(project.dir), server, 'without the lock, the server is left running');
  holder.stdin!.end('release\n');
  assert.equal(await exited(holder, 30), 0);
  await waitFor(async () => !processExists(server!), 'the server stopping once the holder gave the lock back');
  const left = await readdir(folder);
  assert.ok(!left.includes('check.pending') && !left.includes('start.lock'), left.join(', '));
});

test('a process that comes while the server shuts down waits for it to go, then starts it again', async () => {
  const project = await makeProject({ 'migrations/001_users.sql': 'CREATE TABLE users (id int PRIMARY KEY);\n' });
  const folder = project.path('.pgshift/test-server');
  const first = worker(project.dir);
  await first.next();
  const lines = (await readFile(join(folder, 'data/postmaster.pid'), 'utf8')).split('\n');
  const [server, port] = [Number(lines[0]), Number(lines[3])];
  // A smart shutdown waits for this client: the server stays "stopping" until it goes.
  const password = (await readFile(join(folder, 'password'), 'utf8')).trim();
  const client = postgres({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres', max: 1, onnotice: () => undefined });
  await client`SELECT 1`;
  process.kill(server, 'SIGTERM');
  await waitFor(async () => (await readFile(join(folder, 'data/postmaster.pid'), 'utf8')).split('\n')[7]?.trim() === 'stopping', 'the server stopping');
  const second = worker(project.dir);
  await sleep(1500);
  await client.end();
  assert.equal((await second.next()).users, 0);
  const restarted = await serverPid(project.dir);
  assert.ok(restarted !== undefined && restarted !== server, 'a new server');
  for (const { child } of [first, second]) {
    child.stdin!.end();
    assert.equal(await exited(child, 30), 0);
  }
  assert.equal(await serverPid(project.dir), undefined);
});

test("a user's file whose pid now belongs to another process (a user killed outright, its pid reused) does not keep the server running", async () => {
  const project = await makeProject({ 'migrations/001_users.sql': 'CREATE TABLE users (id int PRIMARY KEY);\n' });
  const users = project.path('.pgshift/test-server/users');
  const user = worker(project.dir);
  await user.next();
  const server = await serverPid(project.dir);
  // The file a killed user left, now naming a process that started later: a live pid, another start.
  const other = spawn('sleep', ['60'], { stdio: 'ignore' });
  const [mine] = await readdir(users);
  const started = Number(await readFile(join(users, mine!), 'utf8'));
  assert.ok(started > 0, 'a user file holds its process start');
  await writeFile(join(users, `${other.pid}-0`), String(started - 1));
  user.child.stdin!.end();
  assert.equal(await exited(user.child, 30), 0);
  await waitFor(async () => !processExists(server!), 'the server stopping');
  assert.deepEqual(await readdir(users), []);
  other.kill();
});

test('a zombie (exited, not yet reaped) is not a running process', async () => {
  // The shell becomes a sleep that never reaps the child that exits at once.
  const parent = spawn('bash', ['-c', 'sleep 0.1 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [said] = (await once(parent.stdout!, 'data')) as [Buffer];
  const child = Number(said.toString().trim());
  await waitFor(async () => (await readFile(`/proc/${child}/stat`, 'utf8')).includes(') Z '), 'the child exiting');
  assert.equal(processExists(child), false);
  assert.equal(processExists(parent.pid!), true);
  parent.kill();
});

test('startTestServer for a global setup: its URL reaches the server, and stop() stops it', async () => {
  const project = await makeProject({ 'migrations/001_users.sql': 'CREATE TABLE users (id int PRIMARY KEY);\n' });
  const { startTestServer, createTestDatabase } = await import('../../src/index.js');
  const server = await startTestServer({ cwd: project.dir });
  const pid = await serverPid(project.dir);
  assert.ok(pid !== undefined);
  const database = await createTestDatabase({ cwd: project.dir, database: { url: server.url } });
  assert.match(database.url, /^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/pgshift_test_/);
  await database.drop();
  await server.stop();
  assert.equal(await serverPid(project.dir), undefined);
});

test('with embedded: true a spare is kept ready: the next database is taken from it, and the server stops once it is made', async () => {
  const project = await makeProject({ 'migrations/001_users.sql': 'CREATE TABLE users (id int PRIMARY KEY);\n' });
  const script = `
    import { createTestDatabase } from ${JSON.stringify(`${repoRoot}dist/index.js`)};
    const lines = [];
    const logger = { debug() {}, warn: (m) => lines.push(m), error() {}, info: (m) => lines.push(m) };
    const options = { cwd: process.env.PROJECT_DIR, embedded: true, logger };
    await createTestDatabase(options);
    const second = await createTestDatabase(options);
    console.log(JSON.stringify({ name: second.name, lines }));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, env: { ...process.env, PROJECT_DIR: project.dir }, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  assert.equal(await exited(child, 120), 0);
  const { name, lines } = JSON.parse(output) as { name: string; lines: string[] };
  assert.ok(lines.some((line) => line.startsWith(`test database ${name} taken from the spare pgshift_spare_`)), lines.join('\n'));
  // The spare being made when the script finished held the process until it was made; then the server stopped.
  assert.equal(await serverPid(project.dir), undefined);
});

test("a test file that failed keeps its failing exit code: the embedded server's own exit hooks are not left in the process", async () => {
  const project = await makeProject({ 'migrations/001_users.sql': 'CREATE TABLE users (id int PRIMARY KEY);\n' });
  const script = `
    import { createTestDatabase } from ${JSON.stringify(`${repoRoot}dist/index.js`)};
    await createTestDatabase({ cwd: process.env.PROJECT_DIR, embedded: true });
    process.exitCode = 7;`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, env: { ...process.env, PROJECT_DIR: project.dir }, stdio: 'inherit' });
  assert.equal(await exited(child, 60), 7);
  assert.equal(await serverPid(project.dir), undefined);
});

test('a start lock left by a process that is gone is taken over at once; a file that crashes still stops the server it was last to use', async () => {
  const project = await makeProject({ 'migrations/001_users.sql': 'CREATE TABLE users (id int PRIMARY KEY);\n' });
  await mkdir(project.path('.pgshift/test-server/start.lock'), { recursive: true });
  await writeFile(project.path('.pgshift/test-server/start.lock/pid'), '99999999');
  const started = performance.now();
  const crashing = worker(project.dir);
  assert.equal((await crashing.next()).users, 0);
  // A bound on a hang, not a speed: a lock taken for stale waits STALE_LOCK_MS (120 s) first.
  assert.ok(performance.now() - started < 90_000, 'the dead holder’s lock was not waited out');
  const server = await serverPid(project.dir);
  assert.ok(server !== undefined);
  crashing.child.stdin!.write('crash\n');
  assert.equal(await exited(crashing.child, 30), 1, 'the uncaught error fails the process');
  await waitFor(async () => !processExists(server), 'the server stopping after the crashed process');
});

test('no migrations folder: up on the embedded default, and createTestDatabase with embedded: true, fail on it before a server is made', async () => {
  const project = await makeProject();
  await rm(project.path('migrations'), { recursive: true });
  const run = await project.run(['up']);
  assert.equal(run.status, 3, run.stderr);
  assert.match(run.stderr, /the migrations folder \S+ does not exist/);
  const { createTestDatabase } = await import('../../src/index.js');
  await assert.rejects(createTestDatabase({ cwd: project.dir, embedded: true }), (error: Error & { code?: string }) => error.code === 'UNREADABLE_FILE');
  assert.equal(await readdir(project.path('.pgshift')).then(() => true, () => false), false, 'no server folder was made');
});
