/**
 * `npm run bench`: pgshift against the floor of doing the same work by hand, on a server of its own.
 * Medians of several runs; every pgshift figure is printed as a ratio to its floor, with peak RSS.
 *
 *   (a) apply N migrations to an empty database     floor: psql, one session, each file in its own
 *                                                    transaction with its ledger insert
 *   (b) no-op up with 10,000 files applied           floor: a postgres.js script that connects and
 *   (c) status with 10,000 files applied                    selects the ledger
 *   (d) down --all with N applied                    floor: psql running each rollback with its delete
 *   (e) 100 migrations through a proxy adding 10 ms each way: against 100 x 20 ms + the psql floor
 *   (f) drift on a 300-migration history of every object kind: against up applying that history once
 *   (g) trace of one pending 20-statement file on top of that history: against drift (both rebuild it)
 *
 * Options: --n N (default 1000), --runs R (default 3), --big N (files for b and c, default 10000).
 */
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import postgres from 'postgres';
import { checksumOf, normalizeText } from '../src/core/checksum.js';
import { silentLogger } from '../src/core/logger.js';
import { startEmbedded } from '../src/db/embedded.js';
import { databaseUrl } from '../test/support/urls.js';
import { startProxy } from '../test/support/proxy.js';
import { driftHistory } from '../test/support/drift-history.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'pgshift.mjs');
const { values } = parseArgs({ options: { n: { type: 'string', default: '1000' }, runs: { type: 'string', default: '3' }, big: { type: 'string', default: '10000' } } });
const N = Number(values.n);
const RUNS = Number(values.runs);
const BIG = Number(values.big);

interface Measure {
  readonly ms: number;
  readonly rssKiB?: number;
  readonly cpuMs?: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Runs a command to completion, timing it; node commands also report their peak RSS and CPU time. */
async function timed(command: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd: string, input?: string): Promise<Measure> {
  const usageFile = join(scratch, `usage-${Math.random().toString(36).slice(2)}`);
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
  return { ms, rssKiB: Math.max(...usage.map(([rss]) => rss ?? 0)), cpuMs: usage.reduce((sum, [, cpu]) => sum + (cpu ?? 0), 0) };
}

/** N small, realistic migrations: a table referencing the previous one, an index for the key, a comment, rows. */
async function writeProject(dir: string, count: number): Promise<void> {
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
async function psqlApplyScript(dir: string, count: number): Promise<string> {
  const parts = [LEDGER];
  for (let v = 1; v <= count; v++) {
    const name = `${String(v).padStart(5, '0')}_step_${v}.sql`;
    const text = normalizeText(await readFile(join(dir, 'migrations', name), 'utf8'));
    parts.push(`BEGIN;\n${text}\nINSERT INTO schema_migrations (version, name, checksum, execution_ms) VALUES (${v}, 'step_${v}', '${checksumOf(text)}', 0);\nCOMMIT;\n`);
  }
  return parts.join('');
}

async function psqlRevertScript(dir: string, count: number): Promise<string> {
  const parts: string[] = [];
  for (let v = count; v >= 1; v--) {
    const name = `${String(v).padStart(5, '0')}_step_${v}.sql`;
    parts.push(`BEGIN;\n${await readFile(join(dir, 'rollbacks', name), 'utf8')}\nDELETE FROM schema_migrations WHERE version = ${v};\nCOMMIT;\n`);
  }
  return parts.join('');
}

const scratch = await mkdtemp(join(tmpdir(), 'pgshift-bench-'));
await chmod(scratch, 0o755);
const server = await startEmbedded({ dir: join(scratch, 'server') }, silentLogger);
const admin = postgres(databaseUrl(server.settings), { max: 1, onnotice: () => undefined });
let databases = 0;
async function freshDatabase(): Promise<string> {
  const name = `bench_${++databases}`;
  await admin.unsafe(`CREATE DATABASE ${name}`);
  return databaseUrl(server.settings, name);
}

const env = { ...process.env, CI: '', NODE_ENV: '', PGSHIFT_LOG_LEVEL: 'warn' };
const pgshift = (args: readonly string[], url: string, cwd: string): Promise<Measure> =>
  timed(process.execPath, [cli, ...args], { ...env, DATABASE_URL: url }, cwd);
const psql = (url: string, script: string): Promise<Measure> =>
  timed('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', '-'], { ...env, PGOPTIONS: '-c client_min_messages=warning' }, scratch, script);

interface Row {
  readonly what: string;
  readonly pgshiftMs: number;
  readonly floorMs: number;
  readonly floor: string;
  readonly rssMiB: number;
  readonly cpuMs?: number;
  readonly target: string;
}
const rows: Row[] = [];

async function runs(count: number, once: () => Promise<Measure>): Promise<{ ms: number; rssKiB: number; cpuMs: number }> {
  const results: Measure[] = [];
  for (let i = 0; i < count; i++) results.push(await once());
  return { ms: median(results.map((r) => r.ms)), rssKiB: Math.max(0, ...results.map((r) => r.rssKiB ?? 0)), cpuMs: median(results.map((r) => r.cpuMs ?? 0)) };
}

/** drift's own account of where its time went (its debug line), for the target on the compare alone. */
async function driftPhases(url: string, cwd: string): Promise<string> {
  const run = await promisify(execFile)(process.execPath, [cli, 'drift', '--log-level', 'debug'], { cwd, env: { ...env, DATABASE_URL: url } });
  const line = run.stderr.split('\n').find((text) => text.includes('"phases"'));
  return line === undefined ? 'not reported' : JSON.stringify((JSON.parse(line) as { phases: unknown }).phases);
}

try {
  const project = join(scratch, 'project');
  await writeProject(project, N);
  const applyScript = await psqlApplyScript(project, N);
  process.stderr.write(`bench: ${N} migrations, ${RUNS} runs each, PostgreSQL ${(await readFile(join(scratch, 'server', 'data', 'PG_VERSION'), 'utf8')).trim()} (embedded), psql ${(await promisify(execFile)('psql', ['--version'])).stdout.trim()}\n`);

  let appliedUrl = '';
  const a = await runs(RUNS, async () => {
    appliedUrl = await freshDatabase();
    return pgshift(['up'], appliedUrl, project);
  });
  const aFloor = await runs(RUNS, async () => psql(await freshDatabase(), applyScript));
  rows.push({ what: `(a) apply ${N} migrations`, pgshiftMs: a.ms, floorMs: aFloor.ms, floor: 'psql', rssMiB: a.rssKiB / 1024, cpuMs: a.cpuMs, target: '<= 1.05x' });
  // The same without the lint pass up makes first (about 1 ms a file on PostgreSQL's parser).
  const aNoLint = await runs(RUNS, async () => pgshift(['up', '--no-lint'], await freshDatabase(), project));
  rows.push({ what: `(a) the same, up --no-lint`, pgshiftMs: aNoLint.ms, floorMs: aFloor.ms, floor: 'psql', rssMiB: aNoLint.rssKiB / 1024, cpuMs: aNoLint.cpuMs, target: '<= 1.05x' });

  const big = join(scratch, 'big');
  await writeProject(big, BIG);
  const bigUrl = await freshDatabase();
  await pgshift(['baseline', '--version', String(BIG)], bigUrl, big);
  const minimal = await runs(RUNS, () => timed(process.execPath, [join(root, 'bench', 'minimal-ledger.mjs')], { ...env, DATABASE_URL: bigUrl }, root));
  const b = await runs(RUNS, () => pgshift(['up'], bigUrl, big));
  rows.push({ what: `(b) no-op up, ${BIG} applied`, pgshiftMs: b.ms, floorMs: minimal.ms, floor: 'postgres.js select', rssMiB: b.rssKiB / 1024, cpuMs: b.cpuMs, target: '<= 1.5x' });
  const c = await runs(RUNS, () => pgshift(['status'], bigUrl, big));
  rows.push({ what: `(c) status, ${BIG} applied`, pgshiftMs: c.ms, floorMs: minimal.ms, floor: 'postgres.js select', rssMiB: c.rssKiB / 1024, cpuMs: c.cpuMs, target: '<= 1.5x' });

  const revertScript = await psqlRevertScript(project, N);
  const d = await runs(RUNS, async () => {
    const url = await freshDatabase();
    await psql(url, applyScript);
    return pgshift(['down', '--all'], url, project);
  });
  const dFloor = await runs(RUNS, async () => {
    const url = await freshDatabase();
    await psql(url, applyScript);
    return psql(url, revertScript);
  });
  rows.push({ what: `(d) down --all, ${N} applied`, pgshiftMs: d.ms, floorMs: dFloor.ms, floor: 'psql', rssMiB: d.rssKiB / 1024, cpuMs: d.cpuMs, target: '-' });

  const hundred = join(scratch, 'hundred');
  await writeProject(hundred, 100);
  const hundredScript = await psqlApplyScript(hundred, 100);
  const proxy = await startProxy(new URL(databaseUrl(server.settings)), 10);
  const viaProxy = async (): Promise<string> => {
    const url = new URL(await freshDatabase());
    url.port = String(proxy.port);
    return url.toString();
  };
  const e = await runs(RUNS, async () => pgshift(['up'], await viaProxy(), hundred));
  const eFloor = await runs(RUNS, async () => psql(await freshDatabase(), hundredScript));
  await proxy.close();
  rows.push({ what: '(e) apply 100, 10 ms each way', pgshiftMs: e.ms, floorMs: 100 * 20 + eFloor.ms, floor: '100 x 20 ms + psql', rssMiB: e.rssKiB / 1024, cpuMs: e.cpuMs, target: '<= 1.1x' });

  const history = join(scratch, 'history');
  for (const [path, text] of Object.entries(driftHistory(300))) {
    await mkdir(join(history, path, '..'), { recursive: true });
    await writeFile(join(history, path), text);
  }
  let historyUrl = '';
  const fUp = await runs(RUNS, async () => {
    historyUrl = await freshDatabase();
    return pgshift(['up', '--no-lint'], historyUrl, history);
  });
  const f = await runs(RUNS, () => pgshift(['drift'], historyUrl, history));
  rows.push({ what: '(f) drift, 300 applied', pgshiftMs: f.ms, floorMs: fUp.ms, floor: 'pgshift up of the same 300', rssMiB: f.rssKiB / 1024, cpuMs: f.cpuMs, target: '<= 2x' });
  const phases = await driftPhases(historyUrl, history);
  process.stderr.write(`bench: drift's phases on 300 applied: ${phases}\n`);

  // Twenty statements on a table the history made: each is traced on its own, with a catalog read after it.
  const pending = Array.from({ length: 20 }, (_, i) => `ALTER TABLE customers ADD COLUMN extra_${i} text;\n`).join('');
  await writeFile(join(history, 'migrations', '301_extras.sql'), pending);
  const g = await runs(RUNS, () => pgshift(['trace'], historyUrl, history));
  rows.push({ what: '(g) trace 20 stmts, 300 applied', pgshiftMs: g.ms, floorMs: f.ms, floor: 'pgshift drift of the same 300', rssMiB: g.rssKiB / 1024, cpuMs: g.cpuMs, target: '<= 1.5x' });

  const fmt = (n: number): string => n.toFixed(0).padStart(8);
  process.stdout.write(
    `\n${'scenario'.padEnd(32)}${'pgshift ms'.padStart(11)}${'floor ms'.padStart(10)}  ${'ratio'.padStart(6)}  ${'target'.padEnd(9)}${'peak RSS'.padStart(9)}${'client CPU'.padStart(11)}  floor\n`,
  );
  for (const row of rows) {
    process.stdout.write(
      `${row.what.padEnd(32)}${fmt(row.pgshiftMs).padStart(11)}${fmt(row.floorMs).padStart(10)}  ${(row.pgshiftMs / row.floorMs).toFixed(2).padStart(5)}x  ${row.target.padEnd(9)}${`${row.rssMiB.toFixed(0)} MB`.padStart(9)}${(row.cpuMs === undefined ? '-' : `${row.cpuMs.toFixed(0)} ms`).padStart(11)}  ${row.floor}\n`,
    );
  }
} finally {
  await admin.end();
  await server.stop();
  await rm(scratch, { recursive: true, force: true });
}
