/**
 * Helpers for the --lock transaction tests: a history of migrations that count themselves, pgshift runs
 * watched while they run, and a session of the test's own holding the migration lock.
 */
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type postgres from 'postgres';
import { tableNamed } from '../../src/db/ledger.js';
import { lockKey } from '../../src/db/lock.js';
import type { TestDatabase } from './database.js';
import { cleanEnv, spawnPgshift, type Project } from './project.js';

/** Ten migrations, each creating a table and counting itself in a table they share. */
export function counted(): Record<string, string> {
  const files: Record<string, string> = { 'migrations/001_counter.sql': 'CREATE TABLE counter (version int NOT NULL);\nINSERT INTO counter VALUES (1);\n' };
  for (let version = 2; version <= 10; version++) {
    const name = String(version).padStart(3, '0');
    files[`migrations/${name}_t.sql`] = `CREATE TABLE t_${name} (id int);\nINSERT INTO counter VALUES (${version});\n`;
    files[`rollbacks/${name}_t.sql`] = `DROP TABLE t_${name};\nDELETE FROM counter WHERE version = ${version};\n`;
  }
  return files;
}

export interface Running {
  readonly child: ChildProcess;
  stderr: string;
  readonly exit: Promise<number>;
}

export function start(project: Project, url: string, args: readonly string[]): Running {
  const child = spawnPgshift(args, project.dir, cleanEnv({ DATABASE_URL: url }));
  const running: Running = { child, stderr: '', exit: new Promise((resolve) => child.on('exit', (code) => resolve(code ?? -1))) };
  child.stderr?.on('data', (chunk: Buffer) => (running.stderr += chunk.toString()));
  child.stdout?.resume();
  return running;
}

/** Polls until `condition` holds: eight processes starting on a busy machine take longer than waitFor's 10 s. */
export async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (const started = performance.now(); performance.now() - started < 90_000; await sleep(50)) if (condition()) return;
  throw new Error(`${what} was not reached in 90 s`);
}

/** A session of the test's own holding the migration lock of `ledger` until `release` is called. */
export async function holdLock(db: TestDatabase, schema = 'public'): Promise<{ release: (work?: (sql: postgres.TransactionSql) => Promise<unknown>) => Promise<void> }> {
  const key = lockKey(tableNamed(schema, 'schema_migrations'));
  let release!: (work?: (sql: postgres.TransactionSql) => Promise<unknown>) => void;
  const released = new Promise<((sql: postgres.TransactionSql) => Promise<unknown>) | undefined>((resolve) => (release = resolve));
  let held!: () => void;
  const taken = new Promise<void>((resolve) => (held = resolve));
  const done = db.sql.begin(async (sql) => {
    await sql.unsafe(`SELECT pg_advisory_xact_lock(${key.sql})`);
    held();
    const work = await released;
    await work?.(sql);
  });
  await taken;
  return {
    release: async (work) => {
      release(work);
      await done;
    },
  };
}

/** Advisory locks held in `db` (pg_locks is the whole server's: other test files hold theirs meanwhile). */
export async function advisoryLocks(db: TestDatabase): Promise<number> {
  const [{ count }] = await db.sql<[{ count: number }]>`SELECT count(*)::int AS count FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;
  return count;
}
