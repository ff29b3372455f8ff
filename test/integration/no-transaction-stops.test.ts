/**
 * A no-transaction file stopped partway (SIGINT, a lost connection) keeps the statements it finished: the
 * error says which are applied and recorded and where `up` resumes, and `status` agrees.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testDatabase, type TestDatabase } from '../support/database.js';
import { cleanEnv, errorLine, finished, makeProject, spawnPgshift, type Project } from '../support/project.js';
import { waitFor } from '../support/wait.js';

const FILE = '-- pgshift:no-transaction\nCREATE TABLE IF NOT EXISTS a (id int);\nINSERT INTO a VALUES (1);\nSELECT pg_sleep(60);\nCREATE TABLE IF NOT EXISTS b (id int);\n';

interface Steps {
  readonly project: Project;
  readonly db: TestDatabase;
}

/** A database and project of the test's own, holding FILE as 001, not yet run. */
async function stepsProject(): Promise<Steps> {
  const db = await testDatabase(import.meta.url);
  return { project: await makeProject({ 'migrations/001_steps.sql': FILE }, db.url), db };
}

/** Starts up and returns once statement 3 (the sleep) is running, with the backend's pid. */
async function upAtStatementThree({ project, db }: Steps): Promise<{ done: ReturnType<typeof finished>; kill: (signal: NodeJS.Signals) => void; pid: number }> {
  const child = spawnPgshift(['up'], project.dir, cleanEnv({ DATABASE_URL: db.url }));
  const done = finished(child);
  let pid = 0;
  await waitFor(async () => {
    const [row] = await db.sql<[{ pid: number }?]>`SELECT pid FROM pg_stat_activity
      WHERE application_name LIKE 'pgshift up: migrations/001\\_steps.sql @%' AND query LIKE '%pg_sleep(60)%' AND state = 'active'`;
    pid = row?.pid ?? 0;
    return pid !== 0;
  }, 'statement 3 running');
  return { done, kill: (signal) => child.kill(signal), pid };
}

async function statusOf(project: Project): Promise<string> {
  const status = await project.run(['status']);
  assert.equal(status.status, 0, status.stderr);
  return status.stdout;
}

const RECORDED = /statements 1-2 of 4 ran and are recorded \(status shows the file as partial \(2\/4\)\); statement 3 was cancelled with its transaction and recorded nothing; up resumes migrations\/001_steps\.sql at statement 3 when run again/;

test('SIGINT during statement 3 of a no-transaction file: exit 130, and the hint says 1-2 are applied and up resumes at 3', async () => {
  const steps = await stepsProject();
  const { done, kill } = await upAtStatementThree(steps);
  kill('SIGINT');
  const { status, stderr } = await done;
  assert.equal(status, 130, stderr);
  const error = errorLine(stderr);
  assert.match(String(error['msg']), /interrupted while running migrations\/001_steps\.sql/);
  assert.match(String(error['hint']), RECORDED);
  assert.doesNotMatch(String(error['hint']), /nothing from that file was applied/);
  assert.match(await statusOf(steps.project), /1\s+steps\s+partial \(2\/4\)/);
});

test('a lost connection during statement 3: exit 5, and the hint says the same', async () => {
  const steps = await stepsProject();
  const { done, pid } = await upAtStatementThree(steps);
  await steps.db.sql`SELECT pg_terminate_backend(${pid})`;
  const { status, stderr } = await done;
  assert.equal(status, 5, stderr);
  const error = errorLine(stderr);
  assert.match(String(error['hint']), RECORDED);
  assert.doesNotMatch(String(error['hint']), /nothing is half-applied/);
  assert.match(await statusOf(steps.project), /1\s+steps\s+partial \(2\/4\)/);
});

test('up then resumes at statement 3, without running 1-2 again', async () => {
  const steps = await stepsProject();
  const { project, db } = steps;
  const stopped = await upAtStatementThree(steps);
  stopped.kill('SIGINT');
  assert.equal((await stopped.done).status, 130);
  await project.write('migrations/001_steps.sql', FILE.replace('SELECT pg_sleep(60);', 'SELECT pg_sleep(0);'));
  const run = await project.run(['up']);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /resuming migrations\/001_steps\.sql at statement 3 of 4/);
  const [{ count }] = await db.sql<[{ count: number }]>`SELECT count(*)::int AS count FROM a`;
  assert.equal(count, 1, 'the INSERT ran once');
});
