/**
 * One measured number: the duration a run logs for a migration is the execution_ms its ledger row records
 * and `status` shows, for transactional files, --single-transaction batches and no-transaction files.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testDatabase } from '../support/database.js';
import { logLines, makeProject, type Project } from '../support/project.js';

const FILES = {
  'migrations/001_slow.sql': 'SELECT pg_sleep(0.3);\n',
  'migrations/002_quick.sql': 'SELECT pg_sleep(0.1);\n',
  'migrations/003_steps.sql': '-- pgshift:no-transaction\nSELECT pg_sleep(0.1);\nSELECT pg_sleep(0.1);\n',
};

/** A database and project of the test's own, holding 001-003. */
async function freshProject(): Promise<Project> {
  const db = await testDatabase(import.meta.url);
  return makeProject(FILES, db.url);
}

/** version → durationMs, from the "applied" lines of a run's log. */
function logged(stderr: string): Map<number, number> {
  const lines = logLines(stderr).filter((line) => /^applied /.test(String(line['msg'])));
  return new Map(lines.map((line) => [Number(line['version']), Number(line['durationMs'])]));
}

async function recorded(target: Project): Promise<Map<number, number>> {
  const status = await target.run(['status', '--json']);
  assert.equal(status.status, 0, status.stderr);
  const entries = JSON.parse(status.stdout) as Array<{ version: number; executionMs: number | null }>;
  return new Map(entries.filter((entry) => entry.executionMs !== null).map((entry) => [entry.version, entry.executionMs as number]));
}

test('the logged durationMs of each migration is the ms status shows', async () => {
  const project = await freshProject();
  const run = await project.run(['up']);
  assert.equal(run.status, 0, run.stderr);
  const times = logged(run.stderr);
  assert.deepEqual([...times.keys()], [1, 2, 3]);
  assert.deepEqual(times, await recorded(project));
  assert.ok((times.get(1) ?? 0) >= 300, `001 slept 300 ms: ${times.get(1)}`);
  assert.ok((times.get(3) ?? 0) >= 200, `003 slept twice 100 ms: ${times.get(3)}`);
});

test('--single-transaction: each file records and logs its own time, not the time since the batch began', async () => {
  const project = await freshProject();
  assert.equal((await project.run(['up'])).status, 0);
  await project.write('migrations/004_first.sql', 'SELECT pg_sleep(0.4);\n');
  await project.write('migrations/005_second.sql', 'SELECT pg_sleep(0.1);\n');
  const run = await project.run(['up', '--single-transaction']);
  assert.equal(run.status, 0, run.stderr);
  const times = logged(run.stderr);
  const all = await recorded(project);
  assert.deepEqual(times, new Map([4, 5].map((version) => [version, all.get(version)])));
  assert.ok((times.get(4) ?? 0) >= 400, `004: ${times.get(4)}`);
  const second = times.get(5) ?? 0;
  assert.ok(second >= 100 && second < 400, `005 slept 100 ms after 004's 400: ${second}`);
});
