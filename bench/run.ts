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
 *   (h) up --targets on 100 databases x 10 files, --parallel 8: against psql per database with xargs -P 8
 *       (floor as in a), and against a shell loop of `pgshift up` per database (bench/many.ts)
 *
 * Options: --n N (default 1000), --runs R (default 3), --big N (files for b and c, default 10000),
 * --only LETTERS (say a,h: only those rows; b and c run together, as do f and g, which share their work).
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import postgres from 'postgres';
import { silentLogger } from '../src/core/logger.js';
import { startEmbedded } from '../src/db/embedded.js';
import { databaseUrl } from '../test/support/urls.js';
import { startProxy } from '../test/support/proxy.js';
import { driftHistory } from '../test/support/drift-history.js';
import { manyDatabasesRows } from './many.js';
import { cli, psqlApplyScript, psqlRevertScript, root, runs, timed, writeProject, type Measure, type Row } from './support.js';

const { values } = parseArgs({
  options: { n: { type: 'string', default: '1000' }, runs: { type: 'string', default: '3' }, big: { type: 'string', default: '10000' }, only: { type: 'string' } },
});
const N = Number(values.n);
const RUNS = Number(values.runs);
const BIG = Number(values.big);
const only = values.only?.split(',').map((letter) => letter.trim());
/** Whether any of these rows was asked for (all are, without --only). */
const wanted = (...letters: string[]): boolean => only === undefined || letters.some((letter) => only.includes(letter));

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

const rows: Row[] = [];

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

  if (wanted('a')) {
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
  }

  if (wanted('b', 'c')) {
    const big = join(scratch, 'big');
    await writeProject(big, BIG);
    const bigUrl = await freshDatabase();
    await pgshift(['baseline', '--version', String(BIG)], bigUrl, big);
    const minimal = await runs(RUNS, () => timed(process.execPath, [join(root, 'bench', 'minimal-ledger.mjs')], { ...env, DATABASE_URL: bigUrl }, root));
    const b = await runs(RUNS, () => pgshift(['up'], bigUrl, big));
    rows.push({ what: `(b) no-op up, ${BIG} applied`, pgshiftMs: b.ms, floorMs: minimal.ms, floor: 'postgres.js select', rssMiB: b.rssKiB / 1024, cpuMs: b.cpuMs, target: '<= 1.5x' });
    const c = await runs(RUNS, () => pgshift(['status'], bigUrl, big));
    rows.push({ what: `(c) status, ${BIG} applied`, pgshiftMs: c.ms, floorMs: minimal.ms, floor: 'postgres.js select', rssMiB: c.rssKiB / 1024, cpuMs: c.cpuMs, target: '<= 1.5x' });
  }

  if (wanted('d')) {
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
  }

  if (wanted('e')) {
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
  }

  if (wanted('f', 'g')) {
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
  }

  if (wanted('h')) {
    const urlOf = (name: string): string => databaseUrl(server.settings, name);
    rows.push(...(await manyDatabasesRows({ admin, urlOf, scratch, runs: RUNS, env })));
  }

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
