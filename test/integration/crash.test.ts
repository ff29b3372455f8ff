/**
 * SIGKILL at random moments during a 100-migration run, many times: after every kill, each ledger row's
 * changes exist and no change exists without its ledger row (or, in a no-transaction file, without its
 * progress record); then a rerun finishes the job.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { testDatabase } from '../support/database.js';
import { cleanEnv, finished, makeProject, spawnPgshift } from '../support/project.js';

const MIGRATIONS = 100;
const TRIALS = Number(process.env['PGSHIFT_CRASH_TRIALS'] ?? 20);
/** Every tenth file is a no-transaction file: a table in one statement, an index built concurrently in the next. */
const noTransaction = (version: number): boolean => version % 10 === 0;

const db = await testDatabase(import.meta.url);
const { sql } = db;
const files: Record<string, string> = {};
for (let version = 1; version <= MIGRATIONS; version++) {
  const name = `migrations/${String(version).padStart(3, '0')}_step.sql`;
  files[name] = noTransaction(version)
    ? `-- pgshift:no-transaction\nCREATE TABLE t_${version} (id int);\nCREATE INDEX CONCURRENTLY ix_${version} ON t_${version} (id);\n`
    : `CREATE TABLE t_${version} (id int);\nCREATE INDEX ix_${version} ON t_${version} (id);\nCOMMENT ON TABLE t_${version} IS 'step ${version}';\n`;
}
const project = await makeProject(files, db.url);

interface Snapshot {
  readonly ledger: number[];
  readonly tables: number[];
  readonly validIndexes: number[];
  readonly progress: Array<{ version: number; done: number; running: number | null }>;
}

/** One repeatable-read snapshot: a migration committing meanwhile is seen whole or not at all. */
async function snapshot(): Promise<Snapshot> {
  return sql.begin('ISOLATION LEVEL REPEATABLE READ', async (tx) => {
    const [exists] = await tx`SELECT to_regclass('schema_migrations') IS NOT NULL AS ledger, to_regclass('schema_migrations_progress') IS NOT NULL AS progress`;
    const list = async (query: string): Promise<number[]> =>
      ((await tx.unsafe<Array<{ n: number }>>(query)) as Array<{ n: number }>).map((row) => row.n).sort((a, b) => a - b);
    return {
      ledger: exists?.['ledger'] ? await list('SELECT version::int AS n FROM schema_migrations') : [],
      tables: await list("SELECT substr(relname, 3)::int AS n FROM pg_class WHERE relkind = 'r' AND relname ~ '^t_[0-9]+$'"),
      validIndexes: await list(
        "SELECT substr(c.relname, 4)::int AS n FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relname ~ '^ix_[0-9]+$' AND i.indisvalid",
      ),
      progress: exists?.['progress']
        ? await tx<Snapshot['progress']>`SELECT version::int AS version, cardinality(statement_hashes) AS done, running_statement AS running FROM schema_migrations_progress`
        : [],
    };
  });
}

function assertConsistent(state: Snapshot, trial: number): void {
  const ledger = new Set(state.ledger);
  const progress = new Map(state.progress.map((row) => [row.version, row]));
  for (const version of state.ledger) {
    assert.ok(state.tables.includes(version) && state.validIndexes.includes(version), `trial ${trial}: version ${version} is recorded but its changes are not all there`);
  }
  for (const version of state.tables) {
    if (ledger.has(version)) continue;
    const partial = progress.get(version);
    assert.ok(noTransaction(version) && partial && partial.done >= 1, `trial ${trial}: table t_${version} exists but version ${version} is not recorded`);
  }
  for (const version of state.validIndexes) {
    if (ledger.has(version)) continue;
    // Either recorded as done (the file not finished yet), or completed just before the kill while its
    // statement was marked as running: the next run finds it valid and records it.
    const partial = progress.get(version);
    assert.ok(noTransaction(version) && partial && (partial.done >= 2 || partial.running === 1), `trial ${trial}: index ix_${version} exists but is recorded nowhere`);
  }
}

async function reset(): Promise<void> {
  const tables = Array.from({ length: MIGRATIONS }, (_, i) => `t_${i + 1}`).join(', ');
  await sql.unsafe(`DROP TABLE IF EXISTS ${tables}, schema_migrations, schema_migrations_progress`);
}

test(`${TRIALS} SIGKILLs at random moments never leave a change without its record`, async () => {
  // A full run first, to learn how long one takes: the kills are spread over that time.
  const started = performance.now();
  const full = await project.run(['up']);
  assert.equal(full.status, 0, full.stderr);
  const runMs = performance.now() - started;
  assertConsistent(await snapshot(), 0);

  let killedMidRun = 0;
  // How long a run from empty takes: the first run's time, shortened each time a trial ends before its kill
  // (the first run is the slowest: cold caches, and the other test files starting beside it).
  let expectedMs = runMs;
  for (let trial = 1; trial <= TRIALS; trial++) {
    if ((await snapshot()).ledger.length === MIGRATIONS) await reset();
    // A trial resumes where the last one was killed: the kill is spread over the time the rest should take,
    // not over a whole run, or most kills would come after a short resume had ended.
    const left = MIGRATIONS - (await snapshot()).ledger.length;
    const child = spawnPgshift(['up'], project.dir, cleanEnv({ DATABASE_URL: db.url }));
    const done = finished(child);
    await sleep(Math.floor(Math.random() * expectedMs * (left / MIGRATIONS)));
    if (child.exitCode === null && child.kill('SIGKILL')) killedMidRun++;
    else expectedMs *= 0.7;
    const { status } = await done;
    assert.ok(status === 137 || status === 0, `trial ${trial}: exit ${status}`);
    assertConsistent(await snapshot(), trial);
  }
  assert.ok(killedMidRun >= TRIALS / 2, `most trials should kill a running process (${killedMidRun} of ${TRIALS} did)`);
  process.stderr.write(`crash test: ${TRIALS} trials, ${killedMidRun} killed mid-run, full run ${runMs} ms\n`);

  const rerun = await project.run(['up']);
  assert.equal(rerun.status, 0, rerun.stderr);
  const final = await snapshot();
  assert.equal(final.ledger.length, MIGRATIONS);
  assert.equal(final.validIndexes.length, MIGRATIONS);
  assert.equal(final.progress.length, 0);
});
