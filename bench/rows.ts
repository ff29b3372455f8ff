/**
 * Rows (a)-(g): one pgshift command against the floor of the same work, taken in rounds (bench/rounds.ts).
 * Each function is a group of rows that shares its setup; run.ts says which the caller asked for.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startProxy } from '../test/support/proxy.js';
import { driftHistory } from '../test/support/drift-history.js';
import { compare, rounds, times } from './rounds.js';
import { cli, psqlApplyScript, psqlRevertScript, root, timed, writeProject, type Bench, type Row } from './support.js';

/** (a) apply N to an empty database, with and without the lint pass, against psql. */
export async function applyRows(bench: Bench, project: string, count: number): Promise<Row[]> {
  const script = await psqlApplyScript(project, count);
  const seen = await rounds(bench.runs, {
    up: async () => bench.pgshift(['up'], await bench.freshDatabase(), project),
    // The same without the lint pass up makes first (about 1 ms a file on PostgreSQL's parser).
    noLint: async () => bench.pgshift(['up', '--no-lint'], await bench.freshDatabase(), project),
    psql: async () => bench.psql(await bench.freshDatabase(), script),
  });
  const floor = times(seen.get('psql'));
  return [
    { what: `(a) apply ${count} migrations`, result: compare(seen.get('up') ?? [], floor), floor: 'psql', target: '<= 1.05x' },
    { what: '(a) the same, up --no-lint', result: compare(seen.get('noLint') ?? [], floor), floor: 'psql', target: '<= 1.05x' },
  ];
}

/** (b) and (c): no-op up and status with `count` files applied, against the bare floor of reading the ledger. */
export async function bigRows(bench: Bench, count: number): Promise<Row[]> {
  const big = join(bench.scratch, 'big');
  await writeProject(big, count);
  const url = await bench.freshDatabase();
  await bench.pgshift(['baseline', '--version', String(count)], url, big);
  const minimal = (...project: string[]): ReturnType<typeof timed> =>
    timed(process.execPath, [join(root, 'bench', 'minimal-ledger.mjs'), ...project], { ...bench.env, DATABASE_URL: url }, root);
  const seen = await rounds(bench.runs, {
    minimal: () => minimal(),
    reading: () => minimal(big),
    up: () => bench.pgshift(['up'], url, big),
    status: () => bench.pgshift(['status'], url, big),
  });
  const floor = times(seen.get('minimal'));
  return [
    { what: `(b) no-op up, ${count} applied`, result: compare(seen.get('up') ?? [], floor), floor: 'postgres.js select', target: '<= 1.5x' },
    { what: `(c) status, ${count} applied`, result: compare(seen.get('status') ?? [], floor), floor: 'postgres.js select', target: '<= 1.5x' },
    // What reading the files costs on this machine, whatever reads them: the bound under (b) and (c).
    { what: `(b) the floor reading all ${2 * count} files`, result: compare(seen.get('reading') ?? [], floor), floor: 'postgres.js select', target: '-' },
  ];
}

/** (d) down --all with N applied (by psql, untimed), against psql running the rollbacks. */
export async function downRows(bench: Bench, project: string, count: number): Promise<Row[]> {
  const [applyScript, revertScript] = [await psqlApplyScript(project, count), await psqlRevertScript(project, count)];
  const applied = async (): Promise<string> => {
    const url = await bench.freshDatabase();
    await bench.psql(url, applyScript);
    return url;
  };
  const seen = await rounds(bench.runs, {
    pgshift: async () => bench.pgshift(['down', '--all'], await applied(), project),
    psql: async () => bench.psql(await applied(), revertScript),
  });
  return [{ what: `(d) down --all, ${count} applied`, result: compare(seen.get('pgshift') ?? [], times(seen.get('psql'))), floor: 'psql', target: '-' }];
}

/** (e) 100 migrations through a proxy adding 10 ms each way, against 100 round trips of 20 ms plus psql's floor. */
export async function latencyRows(bench: Bench): Promise<Row[]> {
  const hundred = join(bench.scratch, 'hundred');
  await writeProject(hundred, 100);
  const script = await psqlApplyScript(hundred, 100);
  const proxy = await startProxy(new URL(bench.urlOf('postgres')), 10);
  try {
    const seen = await rounds(bench.runs, {
      pgshift: async () => {
        const url = new URL(await bench.freshDatabase());
        url.port = String(proxy.port);
        return bench.pgshift(['up'], url.toString(), hundred);
      },
      psql: async () => bench.psql(await bench.freshDatabase(), script),
    });
    const floor = times(seen.get('psql')).map((ms) => 100 * 20 + ms);
    return [{ what: '(e) apply 100, 10 ms each way', result: compare(seen.get('pgshift') ?? [], floor), floor: '100 x 20 ms + psql', target: '<= 1.1x' }];
  } finally {
    await proxy.close();
  }
}

/** drift's own account of where its time went (its debug line), for the target on the compare alone. */
async function driftPhases(bench: Bench, url: string, cwd: string): Promise<string> {
  const run = await promisify(execFile)(process.execPath, [cli, 'drift', '--log-level', 'debug'], { cwd, env: { ...bench.env, DATABASE_URL: url } });
  const line = run.stderr.split('\n').find((text) => text.includes('"phases"'));
  return line === undefined ? 'not reported' : JSON.stringify((JSON.parse(line) as { phases: unknown }).phases);
}

/**
 * (f) drift on a 300-migration history of every object kind, against up applying it; (g) trace of one pending
 * 20-statement file on top of it (a copy of the project with that file), against drift: both rebuild the history.
 */
export async function historyRows(bench: Bench): Promise<Row[]> {
  const history = join(bench.scratch, 'history');
  for (const [path, text] of Object.entries(driftHistory(300))) {
    await mkdir(join(history, path, '..'), { recursive: true });
    await writeFile(join(history, path), text);
  }
  const pending = join(bench.scratch, 'history-pending');
  await cp(history, pending, { recursive: true });
  // Twenty statements on a table the history made: each is traced on its own, with a catalog read after it.
  await writeFile(join(pending, 'migrations', '301_extras.sql'), Array.from({ length: 20 }, (_, i) => `ALTER TABLE customers ADD COLUMN extra_${i} text;\n`).join(''));
  const url = await bench.freshDatabase();
  await bench.pgshift(['up', '--no-lint'], url, history);
  const seen = await rounds(bench.runs, {
    up: async () => bench.pgshift(['up', '--no-lint'], await bench.freshDatabase(), history),
    drift: () => bench.pgshift(['drift'], url, history),
    trace: () => bench.pgshift(['trace'], url, pending),
  });
  process.stderr.write(`bench: drift's phases on 300 applied: ${await driftPhases(bench, url, history)}\n`);
  return [
    { what: '(f) drift, 300 applied', result: compare(seen.get('drift') ?? [], times(seen.get('up'))), floor: 'pgshift up of the same 300', target: '<= 2x' },
    { what: '(g) trace 20 stmts, 300 applied', result: compare(seen.get('trace') ?? [], times(seen.get('drift'))), floor: 'pgshift drift of the same 300', target: '<= 1.5x' },
  ];
}
