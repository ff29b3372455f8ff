/**
 * The embedded test server (`embedded: true`), as a test runner uses it: one process per test file, each
 * starting it or joining it. A process that started it ends on its own while another still uses it, and
 * that one keeps working; the last to end stops it. Runs on its own embedded server whatever
 * TEST_DATABASE_URL says: that is the feature under test.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
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

function worker(cwd: string): Worker {
  // It runs in this repository, for its node_modules, and finds the project by its path.
  const child = spawn(process.execPath, ['--input-type=module', '-e', WORKER], { cwd: repoRoot, env: { ...process.env, PROJECT_DIR: cwd }, stdio: ['pipe', 'pipe', 'inherit'] });
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
