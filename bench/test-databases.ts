/**
 * (k) Test databases, for the N-migration project and the 300-migration history: the first database (the
 * template's build and a clone, `pgshift test-db create`) against a plain `pgshift up` of the same files; every
 * further one through the API (createTestDatabase, in this process), copied, against a raw CREATE DATABASE ...
 * TEMPLATE of the same template by psql (a connection of its own, as a test file's process needs) and on an
 * open connection (the server alone: a new backend's first CREATE DATABASE costs more), and against `up`;
 * every further one taken from a spare (`spares: 1`, the spare made since the last one, as while a test ran),
 * against `up`; and 32 databases asked for by 8 worker processes at once, which must build the template once.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase } from '../src/index.js';
import { driftHistory } from '../test/support/drift-history.js';
import { compare, rounds, times } from './rounds.js';
import { cli, median, root, timed, type Bench, type Measure, type Row } from './support.js';

export async function testDatabaseRows(bench: Bench, project: string, count: number): Promise<Row[]> {
  const history = join(bench.scratch, 'history-k');
  for (const [path, text] of Object.entries(driftHistory(300))) {
    await mkdir(join(history, path, '..'), { recursive: true });
    await writeFile(join(history, path), text);
  }
  const rows: Row[] = [];
  for (const [label, dir] of [[`${count} migrations`, project], ['300-migration history', history]] as const) rows.push(...(await rowsFor(bench, label, dir)));
  return rows;
}

async function rowsFor(bench: Bench, label: string, dir: string): Promise<Row[]> {
  const server = bench.urlOf('postgres');
  const first = await rounds(bench.runs, {
    create: async () => {
      await dropTestDatabases(bench);
      await settled(bench);
      return timed(process.execPath, [cli, 'test-db', 'create'], { ...bench.env, DATABASE_URL: server }, dir);
    },
    up: async () => {
      const url = await bench.freshDatabase();
      await settled(bench);
      return bench.pgshift(['up'], url, dir);
    },
  });
  const up = times(first.get('up'));
  const [{ template }] = await bench.admin<[{ template: string }]>`SELECT datname AS template FROM pg_database WHERE datistemplate AND datname LIKE 'pgshift\\_tpl\\_%'`;
  let raw = 0;
  let psql = 0;
  const spared = { cwd: dir, database: { url: server }, spares: 1 };
  await createTestDatabase(spared);
  await spareReady(bench, template);
  const further = await rounds(bench.runs, {
    // What a test file's process pays to copy the template by hand: a connection of its own, and its first statement there.
    psql: async () => bench.psql(server, `CREATE DATABASE bench_raw_psql_${++psql} TEMPLATE ${template};`),
    api: async (): Promise<Measure> => {
      // A ready spare would be taken whatever the call's own number: this one is timed copying.
      await dropSpares(bench, template);
      const started = performance.now();
      await createTestDatabase({ cwd: dir, database: { url: server } });
      return { ms: performance.now() - started };
    },
    spare: async (): Promise<Measure> => {
      // The copy contender drops the spare it would take: one is made again, outside the time.
      if ((await spareCount(bench, template)) === 0) {
        await createTestDatabase(spared);
        await spareReady(bench, template);
      }
      const started = performance.now();
      await createTestDatabase(spared);
      const ms = performance.now() - started;
      // Outside the time: a test runs meanwhile, and its spare is made while it does.
      await spareReady(bench, template);
      return { ms };
    },
    raw: async (): Promise<Measure> => {
      const started = performance.now();
      await bench.admin.unsafe(`CREATE DATABASE bench_raw_${++raw} TEMPLATE ${template}`);
      return { ms: performance.now() - started };
    },
  });
  const parallel = await eightWorkers(bench, dir);
  await dropTestDatabases(bench);
  return [
    { what: `(k) first test database, ${label}`, result: compare(first.get('create') ?? [], up), floor: 'pgshift up of the same', target: '<= 1.1x' },
    // What no build can go under: up, and the one copy the first test database is (the template stays as built).
    { what: `(k) the same, against up and a copy`, result: compare(first.get('create') ?? [], up.map((ms) => ms + median(times(further.get('psql'))))), floor: 'up + psql CREATE DATABASE ... TEMPLATE', target: '-' },
    { what: `(k) each further one (API), ${label}`, result: compare(further.get('api') ?? [], times(further.get('psql'))), floor: 'psql -c CREATE DATABASE ... TEMPLATE', target: '<= 1.3x' },
    { what: `(k) the same, against the server alone`, result: compare(further.get('api') ?? [], times(further.get('raw'))), floor: 'the same on an open connection', target: '-' },
    { what: `(k) the same, against up`, result: compare(further.get('api') ?? [], up), floor: 'pgshift up of the same', target: '-' },
    { what: `(k) each further one from a spare (API), ${label}`, result: compare(further.get('spare') ?? [], up), floor: 'pgshift up of the same', target: '<= 0.05x' },
    { what: `(k) 32 by 8 workers at once: ${parallel.builds} build(s)`, result: compare([{ ms: parallel.ms }], [parallel.ms]), floor: '-', target: '1 build' },
  ];
}

/** 8 processes asking for 4 test databases each, at once, after every template is gone: the builds they logged. */
async function eightWorkers(bench: Bench, dir: string): Promise<{ builds: number; ms: number }> {
  await dropTestDatabases(bench);
  const script = `
    import { createTestDatabase } from ${JSON.stringify(join(root, 'dist', 'index.js'))};
    const logger = { debug() {}, warn() {}, error() {}, info: (message) => / built in /.test(message) && console.log('built') };
    await Promise.all([1, 2, 3, 4].map(() => createTestDatabase({ cwd: process.argv[1], database: { url: process.env.DATABASE_URL }, logger })));`;
  const started = performance.now();
  const outputs = await Promise.all(
    Array.from({ length: 8 }, () => promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, dir], { env: { ...bench.env, DATABASE_URL: bench.urlOf('postgres') } })),
  );
  const ms = performance.now() - started;
  return { builds: outputs.reduce((sum, { stdout }) => sum + stdout.split('\n').filter((line) => line === 'built').length, 0), ms };
}

/**
 * Before either contender starts: what was just dropped or created written out, so that neither is timed
 * while the disk still works for what came before it (the drop of a round's databases, above all).
 */
async function settled(bench: Bench): Promise<void> {
  await bench.admin`CHECKPOINT`;
}

function sparesLike(template: string): string {
  return `pgshift\\_spare\\_${template.slice('pgshift_tpl_'.length)}\\_%`;
}

async function dropSpares(bench: Bench, template: string): Promise<void> {
  const rows = await bench.admin<Array<{ name: string }>>`SELECT datname AS name FROM pg_database WHERE datname LIKE ${sparesLike(template)}`;
  for (const { name } of rows) await bench.admin.unsafe(`DROP DATABASE ${name}`);
}

async function spareCount(bench: Bench, template: string): Promise<number> {
  const [{ n }] = await bench.admin<[{ n: number }]>`SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE ${sparesLike(template)}`;
  return n;
}

async function spareReady(bench: Bench, template: string): Promise<void> {
  for (let waited = 0; waited < 120_000; waited += 20) {
    if ((await spareCount(bench, template)) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no spare of ${template} was made in 2 minutes`);
}

async function dropTestDatabases(bench: Bench): Promise<void> {
  const rows = await bench.admin<Array<{ name: string; template: boolean }>>`
    SELECT datname AS name, datistemplate AS template FROM pg_database WHERE datname LIKE 'pgshift\\_t%' OR datname LIKE 'pgshift\\_spare\\_%' OR datname LIKE 'bench\\_raw\\_%'`;
  for (const { name, template } of rows) {
    if (template) await bench.admin.unsafe(`ALTER DATABASE ${name} WITH IS_TEMPLATE false`);
    await bench.admin.unsafe(`DROP DATABASE ${name} WITH (FORCE)`);
  }
}
