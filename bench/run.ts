/**
 * `npm run bench`: pgshift against the floor of doing the same work by hand, and against other migration tools,
 * on a PostgreSQL server of its own. Contenders run in rounds, one each a round in a rotating order
 * (bench/rounds.ts); times are medians, ratios the median of per-round ratios, with their spread and peak RSS.
 *
 *   (a) apply N migrations to an empty database     floor: psql, one session, each file in its own
 *                                                    transaction with its ledger insert
 *   (b) no-op up with --big files applied            floor: a postgres.js script that connects and
 *   (c) status with --big files applied                     selects the ledger (bench/minimal-ledger.mjs)
 *   (d) down --all with N applied                    floor: psql running each rollback with its delete
 *   (e) 100 migrations through a proxy adding 10 ms each way: against 100 x 20 ms + the psql floor
 *   (f) drift on a 300-migration history of every object kind: against up applying that history once
 *   (g) trace of one pending 20-statement file on top of that history: against drift (both rebuild it)
 *   (h) up --targets on 100 databases x 10 files, --parallel 8: against psql per database with xargs -P 8
 *       (floor as in a), and against a shell loop of `pgshift up` per database (bench/many.ts)
 *   (i) the issue's table with N migrations, (j) the same with --n-large (bench/issue.ts): apply from empty,
 *       no-op up, status and down of all, for psql (floor of apply and down), the bare floor of no-op and
 *       status (minimal-ledger.mjs, and node -e 0), a bare Node script sending psql's apply and down scripts
 *       (minimal-script.mjs), dbmate's binary, node-pg-migrate, postgrator (bench/peers,
 *       installed on first use) and pgshift with a cold and a warm parse cache; then the targets T1-T4, PASS
 *       or FAIL (bench/targets.ts; T4 is row b).
 *   (k) test databases (bench/test-databases.ts): the first (template build and clone) against up, each further
 *       one through the API against a raw CREATE DATABASE ... TEMPLATE and against up, each further one taken
 *       from a spare against up, and 32 asked for by 8 workers at once, which must build the template once; for the N-migration project and a 300-migration history.
 *
 * Options: --n N (default 200), --n-large N (default 1000), --runs R (rounds, default 5), --big N (files for b
 * and c, default 10000), --only LETTERS (say a,i: only those rows; b and c run together, as do f and g),
 * --markdown (markdown tables headed by the machine, for the README).
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import postgres from 'postgres';
import { silentLogger } from '../src/core/logger.js';
import { startEmbedded } from '../src/db/embedded.js';
import { databaseUrl } from '../test/support/urls.js';
import { issueTable, type IssueTable } from './issue.js';
import { manyDatabasesRows } from './many.js';
import { installPeers } from './peers.js';
import { plainIssueTable, render } from './report.js';
import { applyRows, bigRows, downRows, historyRows, latencyRows } from './rows.js';
import { cli, timed, writeProject, type Bench, type Row } from './support.js';
import { targets } from './targets.js';
import { testDatabaseRows } from './test-databases.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '200' },
    'n-large': { type: 'string', default: '1000' },
    runs: { type: 'string', default: '5' },
    big: { type: 'string', default: '10000' },
    only: { type: 'string' },
    markdown: { type: 'boolean', default: false },
  },
});
const [N, N_LARGE, RUNS, BIG] = [values.n, values['n-large'], values.runs, values.big].map(Number) as [number, number, number, number];
const only = values.only?.split(',').map((letter) => letter.trim());
/** Whether any of these rows was asked for (all are, without --only). */
const wanted = (...letters: string[]): boolean => only === undefined || letters.some((letter) => only.includes(letter));

const scratch = await mkdtemp(join(tmpdir(), 'pgshift-bench-'));
await chmod(scratch, 0o755);
const server = await startEmbedded({ dir: join(scratch, 'server') }, silentLogger);
const admin = postgres(databaseUrl(server.settings), { max: 1, onnotice: () => undefined });
const env = { ...process.env, CI: '', NODE_ENV: '', PGSHIFT_LOG_LEVEL: 'warn' };
let databases = 0;
const bench: Bench = {
  admin,
  scratch,
  runs: RUNS,
  env,
  urlOf: (name) => databaseUrl(server.settings, name),
  freshDatabase: async () => {
    const name = `bench_${++databases}`;
    await admin.unsafe(`CREATE DATABASE ${name}`);
    return databaseUrl(server.settings, name);
  },
  dropDatabase: async (url) => void (await admin.unsafe(`DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)} WITH (FORCE)`)),
  pgshift: (args, url, cwd) => timed(process.execPath, [cli, ...args], { ...env, DATABASE_URL: url }, cwd),
  psql: (url, script) => timed('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', '-'], { ...env, PGOPTIONS: '-c client_min_messages=warning' }, scratch, script),
};

try {
  const versions = {
    postgres: (await readFile(join(scratch, 'server', 'data', 'PG_VERSION'), 'utf8')).trim(),
    psql: (await promisify(execFile)('psql', ['--version'])).stdout.trim(),
  };
  process.stderr.write(`bench: N ${N}, large ${N_LARGE}, big ${BIG}, ${RUNS} rounds, PostgreSQL ${versions.postgres} (embedded), ${versions.psql}\n`);
  const project = join(scratch, 'project');
  await writeProject(project, N);
  const rows: Row[] = [];
  if (wanted('a')) rows.push(...(await applyRows(bench, project, N)));
  if (wanted('b', 'c')) rows.push(...(await bigRows(bench, BIG)));
  if (wanted('d')) rows.push(...(await downRows(bench, project, N)));
  if (wanted('e')) rows.push(...(await latencyRows(bench)));
  if (wanted('f', 'g')) rows.push(...(await historyRows(bench)));
  if (wanted('h')) rows.push(...(await manyDatabasesRows(bench)));
  if (wanted('k')) rows.push(...(await testDatabaseRows(bench, project, N)));
  const installProblem = wanted('i', 'j') ? await installPeers() : undefined;
  const issue = async (count: number): Promise<IssueTable> => {
    const table = await issueTable(bench, count, installProblem);
    process.stderr.write(`${plainIssueTable(table)}\n`);
    return table;
  };
  const small = wanted('i') ? await issue(N) : undefined;
  const large = wanted('j') ? await issue(N_LARGE) : undefined;
  const tables = [small, large].filter((table) => table !== undefined);
  const report = { rows, tables, targets: targets(small, large, rows), runs: RUNS, versions };
  process.stdout.write(`\n${await render(report, values.markdown)}`);
} finally {
  await admin.end();
  await server.stop();
  await rm(scratch, { recursive: true, force: true });
}
