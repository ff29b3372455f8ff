/**
 * What the drift tests share: running `drift --json` and reading its answer, finding scratch databases left
 * behind, and copies of a migrated database to change by hand.
 */
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { serverUrl, urlFor, type TestDatabase } from './database.js';
import { logLines, type CliResult, type Project } from './project.js';

export interface DriftField {
  readonly field: string;
  /** null where the field is not set on that side (no default, no comment). */
  readonly expected: string | null;
  readonly actual: string | null;
}

export interface DriftItem {
  readonly object: string;
  readonly kind: string;
  readonly name: string;
  readonly group: string;
  readonly change: 'missing' | 'extra' | 'changed';
  readonly fields: readonly DriftField[];
  readonly message: string;
  readonly sql: string | null;
}

export interface DriftAnswer {
  readonly drift: boolean;
  readonly replayed: number;
  readonly scratch: 'server' | 'embedded' | 'database';
  readonly differences: readonly DriftItem[];
  readonly cosmetic: readonly DriftItem[];
}

/** `pgshift drift --json ...args`, its exit status and its answer, which must be one JSON object on stdout. */
export async function driftJson(
  project: Project,
  args: readonly string[] = [],
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<{ run: CliResult; answer: DriftAnswer }> {
  const run = await project.run(['drift', '--json', ...args], { env });
  assert.ok(run.stdout.startsWith('{'), `drift --json printed no JSON object (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
  return { run, answer: JSON.parse(run.stdout) as DriftAnswer };
}

/** The scratch databases a run logged creating: the pid and time in their names tell them from other files' runs. */
export function scratchNames(stderr: string): string[] {
  return logLines(stderr)
    .map((line) => /scratch database (pgshift_scratch_\d+_\d+_[0-9a-f]+) created/.exec(String(line['msg']))?.[1])
    .filter((name): name is string => name !== undefined);
}

/** The pid of the pgshift process that wrote `stderr`: its scratch databases carry it. */
export function pgshiftPid(stderr: string): number {
  const pid = logLines(stderr)[0]?.['pid'];
  assert.equal(typeof pid, 'number', `no log line with a pid in:\n${stderr}`);
  return pid as number;
}

/** Databases on the server named like the scratch databases of process `pid`. */
export async function scratchLeft(sql: postgres.Sql, pid: number): Promise<string[]> {
  const rows = await sql<Array<{ datname: string }>>`SELECT datname FROM pg_database WHERE datname LIKE ${`pgshift\\_scratch\\_${pid}\\_%`}`;
  return rows.map((row) => row.datname);
}

export interface DatabaseCopy {
  readonly url: string;
  readonly sql: postgres.Sql;
}

/**
 * A maker of copies of `base` (CREATE DATABASE ... TEMPLATE), each dropped after the test file: tests that
 * change a migrated database by hand each get their own, so a change never leaks into the next test.
 */
export function databaseCopies(base: TestDatabase): () => Promise<DatabaseCopy> {
  const quiet = { onnotice: () => undefined, max: 1 } as const;
  const admin = postgres(serverUrl(), quiet);
  after(() => admin.end({ timeout: 5 }));
  let copies = 0;
  return async () => {
    const name = `${base.name}_${++copies}`;
    // The template must have no session: an autovacuum worker may hold one for a moment.
    for (let tries = 0; ; tries++) {
      const made = await admin.unsafe(`CREATE DATABASE "${name}" TEMPLATE "${base.name}"`).then(
        () => true,
        (error: Error) => (tries < 20 && /being accessed by other users/.test(error.message) ? false : Promise.reject(error)),
      );
      if (made) break;
      await sleep(250);
    }
    const url = urlFor(name);
    const sql = postgres(url, quiet);
    after(async () => {
      await sql.end({ timeout: 5 });
      await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    });
    return { url, sql };
  };
}
