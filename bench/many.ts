/**
 * Row (h): one `pgshift up --targets FILE --parallel 8` on 100 databases, each 10 small migrations behind,
 * against psql applying the same files to the same databases 8 processes at a time (xargs -P 8), and against
 * a shell loop running `pgshift up` once per database. pgshift runs as a user would, its lint pass included. The databases are made once; between runs their
 * public schema (tables and ledger) is dropped and made again, untimed. The three take turns within a round,
 * in an order that rotates, and each round a client polls pg_stat_activity for the most sessions open at once.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres, { type Sql } from 'postgres';
import { compare, rotated, times } from './rounds.js';
import { cli, psqlApplyScript, timed, writeProject, type Measure, type Row } from './support.js';

const DATABASES = 100;
const FILES = 10;
const PARALLEL = 8;

export interface ManyContext {
  /** A client of the server's postgres database, for creating and dropping the databases. */
  readonly admin: Sql;
  readonly urlOf: (database: string) => string;
  readonly scratch: string;
  readonly runs: number;
  readonly env: NodeJS.ProcessEnv;
}

type Contender = 'pgshift' | 'psql' | 'loop';
type Watched = Measure & { readonly connections: number };

export async function manyDatabasesRows(context: ManyContext): Promise<Row[]> {
  const names = Array.from({ length: DATABASES }, (_, i) => `bench_many_${i + 1}`);
  for (const name of names) await context.admin.unsafe(`CREATE DATABASE ${name}`);
  const watch = postgres(context.urlOf('postgres'), { max: 1, onnotice: () => undefined });
  try {
    return await measure(context, names, watch);
  } finally {
    await watch.end();
    for (const name of names) await context.admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

async function measure({ admin, urlOf, scratch, runs, env }: ManyContext, names: readonly string[], watch: Sql): Promise<Row[]> {
  const dir = join(scratch, 'many');
  await writeProject(dir, FILES);
  const urls = names.map(urlOf);
  const script = join(dir, 'apply.sql');
  const targets = join(dir, 'targets.txt');
  const urlList = join(dir, 'urls.txt');
  await writeFile(script, await psqlApplyScript(dir, FILES));
  await writeFile(targets, names.map((name, i) => `${name}=${urls[i]}\n`).join(''));
  const urlLines = urls.map((url) => `${url}\n`).join('');
  await writeFile(urlList, urlLines);
  // Every target comes from the targets file: no DATABASE_URL of the caller's in the way.
  const clean = { ...env, DATABASE_URL: undefined };
  // URLs go through files and stdin, never a command line that an error message would print.
  const contenders: Record<Contender, () => Promise<Measure>> = {
    pgshift: () => timed(process.execPath, [cli, 'up', '--targets', targets, '--parallel', String(PARALLEL)], clean, dir),
    psql: () =>
      timed('xargs', ['-P', String(PARALLEL), '-I', '{}', 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', '{}', '-f', script], { ...clean, PGOPTIONS: '-c client_min_messages=warning' }, dir, urlLines),
    loop: () => timed('/bin/sh', ['-c', 'for url in $(cat "$1"); do "$2" "$3" up --database "$url" || exit 1; done', 'sh', urlList, process.execPath, cli], clean, dir),
  };
  const order: Contender[] = ['pgshift', 'psql', 'loop'];
  const seen: Record<Contender, Watched[]> = { pgshift: [], psql: [], loop: [] };
  let applied: number | undefined;
  for (let round = 0; round < runs; round++) {
    for (const name of rotated(order, round)) {
      await reset(admin, urls, applied);
      seen[name].push(await watched(watch, names, contenders[name]));
      applied = FILES;
    }
  }
  await reset(admin, urls, FILES);
  const perRound = (name: Contender): string => `${name} ${seen[name].map((m) => m.ms.toFixed(0)).join('/')} ms, most sessions ${seen[name].map((m) => m.connections).join('/')}`;
  process.stderr.write(`bench: (h) per round: ${order.map(perRound).join('; ')}\n`);
  const sessions = Math.max(...seen.pgshift.map((m) => m.connections));
  return [
    { what: `(h) ${DATABASES} dbs x ${FILES}, --parallel ${PARALLEL}`, result: compare(seen.pgshift, times(seen.psql)), floor: `psql per database, xargs -P ${PARALLEL}`, target: '<= 1.3x' },
    { what: `(h) the same, ${sessions} sessions at most`, result: compare(seen.pgshift, times(seen.loop)), floor: 'sh loop: pgshift up per database', target: '<= 0.25x' },
  ];
}

/**
 * Empties every database again: its public schema, which holds the tables and the ledger, dropped and made
 * anew, then a checkpoint so no run pays for the writes of the one before. `applied`, when given, is the
 * ledger rows each database must hold first: a contender that skipped work is caught here.
 */
async function reset(admin: Sql, urls: readonly string[], applied: number | undefined): Promise<void> {
  const queue = [...urls];
  const worker = async (): Promise<void> => {
    for (let url = queue.shift(); url !== undefined; url = queue.shift()) {
      const sql = postgres(url, { max: 1, onnotice: () => undefined });
      try {
        if (applied !== undefined) {
          const [row] = await sql<Array<{ n: number }>>`SELECT count(*)::int AS n FROM public.schema_migrations`;
          if (row?.n !== applied) throw new Error(`bench (h): a database holds ${row?.n} ledger rows, not ${applied}`);
        }
        await sql.unsafe('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
      } finally {
        await sql.end();
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  await admin.unsafe('CHECKPOINT');
}

/** Runs `run` while another client counts the sessions open on `names` every 10 ms; the most it saw. */
async function watched(watch: Sql, names: readonly string[], run: () => Promise<Measure>): Promise<Watched> {
  let most = 0;
  let running = true;
  const poll = (async () => {
    while (running) {
      const [row] = await watch<Array<{ n: number }>>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = ANY(${names as string[]})`;
      most = Math.max(most, row?.n ?? 0);
      await sleep(10);
    }
  })();
  try {
    return { ...(await run()), connections: most };
  } finally {
    running = false;
    await poll;
  }
}
