/**
 * The other migration tools of the table, installed from bench/peers/package.json (never by pgshift's
 * own install), each given the bench's corpus laid out its own way and run through its own CLI. The node CLIs
 * run under this node so their RSS and CPU are measured; dbmate's Go binary is called itself, not its npm
 * launcher. Each tool says how to count what it applied, so one that skipped work cannot look fast.
 */
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { root, timed, type Measure } from './support.js';

export const peersDir = join(root, 'bench', 'peers');
const manifest = join(peersDir, 'package.json');

/** A tool of the table, its corpus laid out; the commands it lacks are missing. */
export interface Tool {
  readonly name: string;
  /** SQL counting the migrations its ledger holds as applied. */
  readonly ledger: string;
  /** Missing for the bare floors, which read the ledger psql's floor applied. */
  readonly apply?: (url: string) => Promise<Measure>;
  readonly noop?: (url: string) => Promise<Measure>;
  readonly status?: (url: string) => Promise<Measure>;
  readonly down?: (url: string) => Promise<Measure>;
}

export interface Corpus {
  /** A project written by writeProject: migrations/ and rollbacks/, NNNNN_step_V.sql. */
  readonly dir: string;
  readonly count: number;
  /** Where the tool's own layout goes. */
  readonly into: string;
  readonly env: NodeJS.ProcessEnv;
}

/** Installs the peers when bench/peers/node_modules is missing or older than the manifest; a failure is reported, not thrown. */
export async function installPeers(): Promise<string | undefined> {
  const installed = await stat(join(peersDir, 'node_modules', '.package-lock.json')).catch(() => undefined);
  if (installed !== undefined && installed.mtimeMs >= (await stat(manifest)).mtimeMs) return undefined;
  process.stderr.write('bench: installing the peer tools into bench/peers (npm install)\n');
  const npm = spawnSync('npm', ['install', '--prefix', peersDir, '--no-audit', '--no-fund'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (npm.status === 0) return undefined;
  // npm's first lines name the error (code, then the message); the stack after them says nothing more.
  const lines = (npm.stderr ?? String(npm.error)).split('\n').filter((line) => !/^npm error\s+at /.test(line));
  return `npm install in bench/peers failed: ${lines.slice(0, 4).join('; ')}`;
}

/** The installed version of a peer package, for the report's header. */
export async function peerVersion(name: string): Promise<string> {
  const text = await readFile(join(peersDir, 'node_modules', name, 'package.json'), 'utf8').catch(() => undefined);
  return text === undefined ? 'not installed' : (JSON.parse(text) as { version: string }).version;
}

/** The file a peer package's bin entry names; its exports map would hide some of them from require.resolve. */
async function binOf(pkg: string, command: string): Promise<string> {
  const dir = join(peersDir, 'node_modules', pkg);
  const bin = (JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin[command];
  if (bin === undefined) throw new Error(`${pkg} has no bin named ${command}`);
  return join(dir, bin);
}

/** The corpus's files in order: [version, name, migration text, rollback text]. */
async function* files(corpus: Corpus): AsyncGenerator<[number, string, string, string]> {
  for (let v = 1; v <= corpus.count; v++) {
    const file = `${String(v).padStart(5, '0')}_step_${v}.sql`;
    const [up, down] = await Promise.all(['migrations', 'rollbacks'].map((folder) => readFile(join(corpus.dir, folder, file), 'utf8')));
    yield [v, file, up as string, down as string];
  }
}

/** dbmate: db/migrations/NNNNN_name.sql with -- migrate:up / -- migrate:down; its ledger is schema_migrations. */
export async function dbmate(corpus: Corpus): Promise<Tool> {
  // The platform package is an optional dependency of dbmate's: resolved from dbmate's folder, as its launcher does.
  const binary = createRequire(join(peersDir, 'node_modules', 'dbmate', 'package.json')).resolve(`@dbmate/${process.platform}-${process.arch}/bin/dbmate`);
  const dir = join(corpus.into, 'db', 'migrations');
  await mkdir(dir, { recursive: true });
  for await (const [, file, up, down] of files(corpus)) await writeFile(join(dir, file), `-- migrate:up\n${up}\n-- migrate:down\n${down}`);
  // No schema dump after each command: it would run pg_dump, work none of the others do.
  const run = (args: readonly string[], url: string): Promise<Measure> =>
    timed(binary, ['--no-dump-schema', '--migrations-dir', dir, ...args], { ...corpus.env, DATABASE_URL: `${url}?sslmode=disable` }, corpus.into);
  return {
    name: 'dbmate',
    ledger: 'SELECT count(*)::int AS n FROM public.schema_migrations',
    apply: (url) => run(['migrate'], url),
    noop: (url) => run(['migrate'], url),
    status: (url) => run(['status'], url),
    // dbmate rolls back one migration a command: a shell loop of `dbmate rollback`, one process each. Only up
    // to 200: at 1,000 the loop alone takes minutes a round, and the 200 figure already shows its shape.
    ...(corpus.count > 200
      ? {}
      : {
          down: (url: string) =>
            timed('/bin/sh', ['-c', 'i=0; while [ "$i" -lt "$1" ]; do "$2" --no-dump-schema --migrations-dir "$3" rollback || exit 1; i=$((i+1)); done', 'sh', String(corpus.count), binary, dir], { ...corpus.env, DATABASE_URL: `${url}?sslmode=disable` }, corpus.into),
        }),
  };
}

/** node-pg-migrate: one .sql file a migration with -- Up Migration / -- Down Migration; its ledger is pgmigrations. */
export async function nodePgMigrate(corpus: Corpus): Promise<Tool> {
  const cli = await binOf('node-pg-migrate', 'node-pg-migrate');
  const dir = join(corpus.into, 'migrations');
  await mkdir(dir, { recursive: true });
  for await (const [, file, up, down] of files(corpus)) await writeFile(join(dir, file), `-- Up Migration\n${up}\n-- Down Migration\n${down}`);
  // Each migration in its own transaction with its ledger row, as psql's floor and the others do (its default is one for all).
  const run = (args: readonly string[], url: string): Promise<Measure> =>
    timed(process.execPath, [cli, ...args, '--migrations-dir', dir, '--no-single-transaction'], { ...corpus.env, DATABASE_URL: url }, corpus.into);
  return {
    name: 'node-pg-migrate',
    ledger: 'SELECT count(*)::int AS n FROM public.pgmigrations',
    apply: (url) => run(['up'], url),
    noop: (url) => run(['up'], url),
    down: (url) => run(['down', String(corpus.count)], url),
  };
}

/** postgrator: NNNNN.do.name.sql and NNNNN.undo.name.sql; its ledger is schemaversion, with a version 0 row of its own. */
export async function postgrator(corpus: Corpus): Promise<Tool> {
  const cli = await binOf('postgrator-cli', 'postgrator');
  const dir = join(corpus.into, 'migrations');
  await mkdir(dir, { recursive: true });
  for await (const [v, file] of files(corpus)) {
    const [number, name] = [String(v).padStart(5, '0'), file.slice(6, -4)];
    await copyFile(join(corpus.dir, 'migrations', file), join(dir, `${number}.do.${name}.sql`));
    await copyFile(join(corpus.dir, 'rollbacks', file), join(dir, `${number}.undo.${name}.sql`));
  }
  // The database by name; host, port, user and password through libpq's variables, which pg reads, never argv.
  const run = (to: string, url: string): Promise<Measure> => {
    const parts = new URL(url);
    const env = { ...corpus.env, PGHOST: parts.hostname, PGPORT: parts.port, PGUSER: decodeURIComponent(parts.username), PGPASSWORD: decodeURIComponent(parts.password) };
    return timed(process.execPath, [cli, '--no-config', '--driver', 'pg', '--database', parts.pathname.slice(1), '--migration-pattern', join(dir, '*'), '--to', to], env, corpus.into);
  };
  return {
    name: 'postgrator',
    ledger: 'SELECT count(*)::int AS n FROM public.schemaversion WHERE version > 0',
    apply: (url) => run('max', url),
    noop: (url) => run('max', url),
    down: (url) => run('0', url),
  };
}

/** The peers that could be set up for `corpus`; each one that could not is named with the reason. */
export async function peerTools(corpus: Corpus, installProblem: string | undefined): Promise<{ tools: Tool[]; missing: string[] }> {
  const tools: Tool[] = [];
  const missing: string[] = [];
  for (const [name, make] of [['dbmate', dbmate], ['node-pg-migrate', nodePgMigrate], ['postgrator', postgrator]] as const) {
    if (installProblem !== undefined) {
      missing.push(`${name}: ${installProblem}`);
      continue;
    }
    try {
      tools.push(await make({ ...corpus, into: join(corpus.into, name) }));
    } catch (error) {
      missing.push(`${name}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return { tools, missing };
}
