/**
 * A throwaway project folder with migrations/ and rollbacks/, and a way to run the built pgshift binary in it.
 * CLI tests go through the real executable, so they see exactly what a user sees: stdout, stderr, exit status.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { constants as osConstants, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
// The bin package.json names: the bundled CLI, as users run it.
const binary = join(repoRoot, 'dist', 'pgshift.mjs');

export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Project {
  readonly dir: string;
  write(path: string, text: string | Buffer): Promise<void>;
  read(path: string): Promise<string>;
  remove(path: string): Promise<void>;
  /** Runs `pgshift ...args` in the project against `database` (a URL), or with no database configured. */
  run(args: readonly string[], options?: RunOptions): Promise<CliResult>;
  /** The absolute path of a file in the project. */
  path(relative: string): string;
}

export interface RunOptions {
  /** Extra environment; `undefined` values remove a variable. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Variables that would choose a database or change behaviour behind a test's back. */
const SCRUBBED = /^(DATABASE_URL|PG[A-Z]+|CI|NODE_ENV|PGSHIFT_[A-Z_]+|TEST_DATABASE_URL)$/;

export function cleanEnv(extra: RunOptions['env'] = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!SCRUBBED.test(key)) env[key] = value;
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** A temporary project holding `files` (paths relative to it), removed after the test file. */
export async function makeProject(files: Readonly<Record<string, string>> = {}, database?: string): Promise<Project> {
  const dir = await mkdtemp(join(tmpdir(), 'pgshift-project-'));
  // Reachable by the OS user "postgres", which runs an embedded server when the tests run as root.
  await chmod(dir, 0o755);
  await mkdir(join(dir, 'migrations'));
  await mkdir(join(dir, 'rollbacks'));
  after(() => rm(dir, { recursive: true, force: true }));
  const project: Project = {
    dir,
    path: (relative) => join(dir, relative),
    async write(path, text) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), text);
    },
    read: (path) => readFile(join(dir, path), 'utf8'),
    remove: (path) => rm(join(dir, path), { force: true }),
    run: (args, options = {}) =>
      runPgshift(args, dir, cleanEnv({ ...(database === undefined ? {} : { DATABASE_URL: database }), ...options.env })),
  };
  for (const [path, text] of Object.entries(files)) await project.write(path, text);
  return project;
}

/** A project holding a copy of this repository's own migrations/ and rollbacks/. */
export async function copyOfRepository(database?: string): Promise<Project> {
  const project = await makeProject({}, database);
  for (const folder of ['migrations', 'rollbacks']) {
    await cp(join(repoRoot, folder), join(project.dir, folder), { recursive: true });
  }
  return project;
}

export function runPgshift(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [binary, ...args], { cwd, env, timeout: 120_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ status: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/** pgshift's stderr when it is not a terminal: one JSON object per line. */
export function logLines(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The error pgshift reported: its one level-50 (error) log line. Throws, quoting stderr, when there is none. */
export function errorLine(stderr: string): Record<string, unknown> {
  const error = logLines(stderr).find((line) => line['level'] === 50);
  if (!error) throw new Error(`pgshift logged no error; stderr was:\n${stderr}`);
  return error;
}

/**
 * Runs pgshift under a pseudo-terminal (util-linux script): stdout and stderr arrive mixed, escape codes and
 * all, as a user sees them. `columns` sizes the terminal (unsized, it reports none).
 */
export function inTerminal(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv, columns?: number): Promise<CliResult> {
  const quote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, binary, ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    execFile('script', ['-qfec', columns === undefined ? command : `stty cols ${columns}; ${command}`, '/dev/null'], { cwd, env, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ status: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/** Starts pgshift without waiting, for tests that signal or kill it while it runs. */
export function spawnPgshift(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [binary, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Waits for a spawned process to end; resolves with its exit status (128 + n for a signal) and stderr. */
export function finished(child: ChildProcess): Promise<{ status: number; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => resolve({ status: code ?? 128 + (signal ? osConstants.signals[signal] : 0), stderr })),
  );
}
