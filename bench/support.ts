/** What the bench's rows share: timing a command, medians, the migrations corpus and psql's floor scripts. */
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sql } from 'postgres';
import { checksumOf, normalizeText } from '../src/core/checksum.js';
import type { Compared } from './rounds.js';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const cli = join(root, 'dist', 'pgshift.mjs');

/**
 * The bin's code cache as the build left it (`npm run bench` builds first), made by a run that opened no
 * session: what a fresh install has. A cold run starts from it, as a first run in CI or a first deploy does;
 * the runs before it would otherwise have replaced it with a fuller one.
 */
const codeCache = join(root, 'dist', 'cli-main.cache');
const builtCodeCache = await readFile(codeCache).catch(() => undefined);

export async function freshInstallCodeCache(): Promise<void> {
  if (builtCodeCache === undefined) await rm(codeCache, { force: true });
  else await writeFile(codeCache, builtCodeCache);
}

export interface Measure {
  readonly ms: number;
  readonly rssKiB?: number;
  readonly cpuMs?: number;
}

/** A line of the table of rows (a)-(h): pgshift against its floor. */
export interface Row {
  readonly what: string;
  readonly result: Compared;
  readonly floor: string;
  readonly target: string;
}

/** The bench's server and how its rows run commands against it. */
export interface Bench {
  /** A client of the server's postgres database. */
  readonly admin: Sql;
  readonly scratch: string;
  readonly runs: number;
  readonly env: NodeJS.ProcessEnv;
  readonly urlOf: (database: string) => string;
  /** A new empty database of the server, by URL. */
  readonly freshDatabase: () => Promise<string>;
  readonly dropDatabase: (url: string) => Promise<void>;
  readonly pgshift: (args: readonly string[], url: string, cwd: string) => Promise<Measure>;
  readonly psql: (url: string, script: string) => Promise<Measure>;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Runs a command to completion, timing it; node commands also report their peak RSS and CPU time. */
export async function timed(command: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd: string, input?: string): Promise<Measure> {
  const usageFile = join(tmpdir(), `pgshift-bench-usage-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const isNode = command === process.execPath;
  const fullArgs = isNode ? ['--import', join(root, 'bench', 'process-usage.mjs'), ...args] : args;
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(command, fullArgs, { cwd, env: { ...env, PGSHIFT_USAGE_FILE: usageFile }, stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    if (input !== undefined) child.stdin?.end(input);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`))));
  });
  const ms = performance.now() - started;
  if (!isNode) return { ms };
  const usage = (await readFile(usageFile, 'utf8')).trim().split('\n').map((line) => line.split(' ').map(Number));
  await rm(usageFile, { force: true });
  return { ms, rssKiB: Math.max(...usage.map(([rss]) => rss ?? 0)), cpuMs: usage.reduce((sum, [, cpu]) => sum + (cpu ?? 0), 0) };
}

/** N small, realistic migrations: a table referencing the previous one, an index for the key, a comment, rows. */
export async function writeProject(dir: string, count: number): Promise<void> {
  await mkdir(join(dir, 'migrations'), { recursive: true });
  await mkdir(join(dir, 'rollbacks'), { recursive: true });
  const writes: Array<Promise<void>> = [];
  for (let v = 1; v <= count; v++) {
    const name = `${String(v).padStart(5, '0')}_step_${v}.sql`;
    const parent = v === 1 ? '' : `,\n    parent_id bigint REFERENCES t_${v - 1} (id)`;
    const index = v === 1 ? '' : `CREATE INDEX IF NOT EXISTS ix_t_${v}_parent_id ON t_${v} (parent_id);\n`;
    writes.push(
      writeFile(
        join(dir, 'migrations', name),
        `-- Migration: step ${v}\nCREATE TABLE IF NOT EXISTS t_${v} (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    label text NOT NULL${parent}\n);\n${index}COMMENT ON TABLE t_${v} IS 'step ${v}';\nINSERT INTO t_${v} (label) VALUES ('a'), ('b'), ('c');\n`,
      ),
      writeFile(join(dir, 'rollbacks', name), `DROP TABLE IF EXISTS t_${v};\n`),
    );
    if (writes.length >= 256) await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
}

const LEDGER = `CREATE TABLE schema_migrations (version bigint PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(), applied_by text NOT NULL DEFAULT current_user, execution_ms integer NOT NULL);\n`;

/** The psql floor for applying: each file in its own transaction with its ledger insert. */
export async function psqlApplyScript(dir: string, count: number): Promise<string> {
  const parts = [LEDGER];
  for (let v = 1; v <= count; v++) {
    const name = `${String(v).padStart(5, '0')}_step_${v}.sql`;
    const text = normalizeText(await readFile(join(dir, 'migrations', name), 'utf8'));
    parts.push(`BEGIN;\n${text}\nINSERT INTO schema_migrations (version, name, checksum, execution_ms) VALUES (${v}, 'step_${v}', '${checksumOf(text)}', 0);\nCOMMIT;\n`);
  }
  return parts.join('');
}

export async function psqlRevertScript(dir: string, count: number): Promise<string> {
  const parts: string[] = [];
  for (let v = count; v >= 1; v--) {
    const name = `${String(v).padStart(5, '0')}_step_${v}.sql`;
    parts.push(`BEGIN;\n${await readFile(join(dir, 'rollbacks', name), 'utf8')}\nDELETE FROM schema_migrations WHERE version = ${v};\nCOMMIT;\n`);
  }
  return parts.join('');
}
