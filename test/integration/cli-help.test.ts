/** Issue 11 item 23: -h, grouped --help per command, the completion script, and what down --to 0 does. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { testDatabase } from '../support/database.js';
import { ledgerVersions } from '../support/inspect.js';
import { cleanEnv, errorLine, makeProject, repoRoot } from '../support/project.js';

const db = await testDatabase(import.meta.url);
// Help and completion never connect: a run that tried would exit 5, not 0.
const unreachable = 'postgres://nobody@127.0.0.1:1/none';

const CONNECTION = ['--database', '--dotenv', '--password-command', '--wait', '--connect-timeout'];
const RUNNING = ['--lock-wait', '--lock-timeout', '--statement-timeout', '--lock-retries'];

/** The headings of a --help text in order, each with the flags listed under it. */
function sections(help: string): Array<{ heading: string; flags: string[] }> {
  const found: Array<{ heading: string; flags: string[] }> = [];
  for (const line of help.split('\n')) {
    if (/^[A-Z][\w ]*:$/.test(line)) found.push({ heading: line, flags: [] });
    const flag = /^\s+(?:-\w, )?(--[\w-]+)/.exec(line);
    if (flag && found.length > 0) found.at(-1)?.flags.push(flag[1] as string);
  }
  return found;
}

test('pgshift -h shows the help on stdout and exits 0, like --help', async () => {
  const project = await makeProject({}, unreachable);
  const short = await project.run(['-h']);
  assert.equal(short.status, 0, short.stderr);
  assert.equal(short.stderr, '');
  assert.match(short.stdout, /^pgshift <command> \[options\]/);
  assert.match(short.stdout, /pgshift completion +print a bash\/zsh completion script/);
  assert.equal(short.stdout, (await project.run(['--help'])).stdout);
  assert.deepEqual(
    sections(short.stdout).map((section) => section.heading),
    ['Commands:', 'Connection:', 'Ledger and schema:', 'Files:', 'Pending files:', 'Running migrations:', 'Many databases:', 'General:', 'Options:'],
  );
});

const OWN: Record<string, string[]> = {
  up: ['--to', '--migration', '--single-transaction', '--dry-run', '--lint', '--trace', '--big', '--strict', '--format', '--base-ref', '--scratch', '--scratch-database', '--progress', '--progress-interval'],
  down: ['--steps', '--to', '--all', '--dry-run', '--progress', '--progress-interval'],
  redo: ['--dry-run', '--progress', '--progress-interval'],
  verify: ['--all', '--migration', '--locks', '--big', '--strict', '--scratch', '--scratch-database'],
  trace: ['--all', '--migration', '--to', '--big', '--strict', '--scratch', '--scratch-database'],
  drift: ['--sql', '--privileges', '--scratch', '--scratch-database'],
  baseline: ['--version'],
  lint: ['--strict'],
  repair: ['--force', '--dry-run'],
};

for (const [command, own] of Object.entries(OWN)) {
  test(`${command} --help lists its own flags first, then the connection flags as their own group`, async () => {
    const project = await makeProject({}, unreachable);
    const run = await project.run([command, '-h']);
    assert.equal(run.status, 0, run.stderr);
    const [first, second] = sections(run.stdout).filter((section) => section.heading !== 'Positionals:');
    assert.deepEqual(first, { heading: 'Options:', flags: own });
    assert.deepEqual(second, { heading: 'Connection:', flags: CONNECTION });
  });
}

test('new --help lists no database option, lint --help none of the run options it ignores', async () => {
  const project = await makeProject({}, unreachable);
  const help = await project.run(['new', '--help']);
  assert.equal(help.status, 0, help.stderr);
  for (const flag of [...CONNECTION, '--schema', '--table', ...RUNNING]) assert.doesNotMatch(help.stdout, new RegExp(`${flag}\\b`), flag);
  assert.deepEqual(sections(help.stdout).map((section) => section.heading), ['Positionals:', 'Files:', 'General:']);
  const lint = await project.run(['lint', '--help']);
  for (const flag of RUNNING) assert.doesNotMatch(lint.stdout, new RegExp(`${flag}\\b`), flag);
  assert.match(lint.stdout, /paths +files to lint \(then no database is used\)/);
});

test('pgshift completion prints a bash completion script that completes commands and flags', async () => {
  const project = await makeProject({}, unreachable);
  const run = await project.run(['completion']);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^###-begin-pgshift-completions-###$/m);
  await project.write('bin/pgshift', `#!/bin/sh\nexec "${process.execPath}" "${join(repoRoot, 'dist', 'pgshift.mjs')}" "$@"\n`);
  await chmod(project.path('bin/pgshift'), 0o755);
  const complete = async (...words: string[]): Promise<string[]> => {
    const script = `${run.stdout}\nCOMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=${words.length - 1}\n_pgshift_yargs_completions; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const { stdout } = await promisify(execFile)('bash', ['-c', script], {
      cwd: project.dir,
      env: cleanEnv({ PATH: `${project.path('bin')}:${process.env['PATH'] ?? ''}`, DATABASE_URL: unreachable }),
    });
    return stdout.split('\n').filter(Boolean).sort();
  };
  assert.deepEqual(await complete('pgshift', 'd'), ['down', 'drift']);
  assert.deepEqual(await complete('pgshift', 'down', '--st'), ['--statement-timeout', '--steps']);
  assert.deepEqual(await complete('pgshift', 'new', '--d'), [], 'new does not offer the database flags it ignores');
});

test('pgshift completion --help says what the command does instead of printing the script', async () => {
  const project = await makeProject({}, unreachable);
  // Also after global flags, with or without their values in the same word.
  for (const args of [['completion', '--help'], ['completion', '-h'], ['--log-level', 'warn', 'completion', '--help'], ['--log-level=warn', '--no-lint', 'completion', '-h']]) {
    const run = await project.run(args);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, 'pgshift completion\n\nprint a bash/zsh completion script (add its output to ~/.bashrc or ~/.zshrc): pgshift completion >> ~/.bashrc\n');
  }
});

test('pgshift completion with an argument is a usage error alone: no script on stdout to be sourced by mistake', async () => {
  const project = await makeProject({}, unreachable);
  const run = await project.run(['completion', 'bash']);
  assert.equal(run.status, 2);
  assert.equal(run.stdout, '');
  assert.match(run.stderr, /Unknown command: bash/);
});

test('down --help says what --to 0 does, and down --to 0 does that: version 0 stays applied', async () => {
  const project = await makeProject(
    {
      'migrations/000_base.sql': 'CREATE TABLE base (id int);\n',
      'migrations/001_a.sql': 'CREATE TABLE a (id int);\n',
      'migrations/002_b.sql': 'CREATE TABLE b (id int);\n',
      'rollbacks/001_a.sql': 'DROP TABLE a;\n',
      'rollbacks/002_b.sql': 'DROP TABLE b;\n',
    },
    db.url,
  );
  const help = await project.run(['down', '--help']);
  assert.match(help.stdout.replace(/\s+/g, ' '), /--to keep version V and revert every applied version above it \(--to 0 keeps a version 0 applied; --all reverts everything\)/);
  assert.equal((await project.run(['up'])).status, 0);
  const down = await project.run(['down', '--to', '0']);
  assert.equal(down.status, 0, down.stderr);
  assert.deepEqual(await ledgerVersions(db.sql), [0]);
  await db.sql`DROP TABLE base, schema_migrations`;
});

test('a boolean flag given a value other than true or false is refused before anything runs: --dry-run=yes never runs for real', async () => {
  const project = await makeProject({ 'migrations/001_flag.sql': 'CREATE TABLE flag_t (id int);\n', 'rollbacks/001_flag.sql': 'DROP TABLE flag_t;\n' }, db.url);
  for (const args of [['up', '--dry-run=yes'], ['up', '--dry-run=1'], ['up', '--single-transaction=yes'], ['up', '--lint=no'], ['status', '--json=on']]) {
    const run = await project.run(args);
    assert.equal(run.status, 2, `${args.join(' ')}: ${run.stderr}`);
    const flag = (args[1] as string).split('=')[0] as string;
    // Refused while the arguments are read, before the run's logger exists: still a JSON line with its code.
    const error = errorLine(run.stderr);
    assert.equal(error['code'], 'USAGE');
    assert.match(String(error['msg']), new RegExp(`^${flag} takes no value, or true or false, not "`));
  }
  assert.deepEqual(await ledgerVersions(db.sql), [], 'nothing was applied');
  assert.equal((await project.run(['up', '--dry-run=true'])).status, 0);
  assert.deepEqual(await ledgerVersions(db.sql), [], 'a dry run applies nothing');
  assert.equal((await project.run(['up'])).status, 0);
  const down = await project.run(['down', '--dry-run=yes']);
  assert.equal(down.status, 2, down.stderr);
  assert.deepEqual(await ledgerVersions(db.sql), [1], 'down --dry-run=yes reverted nothing');
});

test('an unknown flag is named once, as typed', async () => {
  const project = await makeProject({}, unreachable);
  const run = await project.run(['up', '--bogus-flag']);
  assert.equal(run.status, 2, run.stderr);
  assert.deepEqual([errorLine(run.stderr)['code'], errorLine(run.stderr)['msg']], ['USAGE', 'Unknown argument: bogus-flag']);
  assert.doesNotMatch(run.stderr, /bogusFlag/);
});

test('the bin runs through the link npm makes for it, also under node --preserve-symlinks-main', async () => {
  const project = await makeProject({ 'migrations/001_t.sql': 'CREATE TABLE IF NOT EXISTS t (id int);\nCOMMENT ON TABLE t IS $$t$$;\n' }, unreachable);
  // As npm installs it: node_modules/.bin/pgshift links to the package's dist/pgshift.mjs.
  await mkdir(project.path('node_modules/.bin'), { recursive: true });
  await symlink(join(repoRoot, 'dist', 'pgshift.mjs'), project.path('node_modules/.bin/pgshift'));
  const run = promisify(execFile);
  for (const flags of [[], ['--preserve-symlinks-main']]) {
    const version = await run(process.execPath, [...flags, project.path('node_modules/.bin/pgshift'), '--version'], { cwd: project.dir, env: cleanEnv() });
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/, `${flags.join(' ')}: ${version.stderr}`);
    // lint loads the SQL parser, which lives outside the bundle, from where the bundle really is.
    const lint = await run(process.execPath, [...flags, project.path('node_modules/.bin/pgshift'), 'lint'], { cwd: project.dir, env: cleanEnv() });
    assert.equal(lint.stdout, 'no findings\n', `${flags.join(' ')}: ${lint.stderr}`);
  }
});

test('a log level outside the choices names where it came from and what to use, from the flag or the environment', async () => {
  const project = await makeProject({}, unreachable);
  const flag = await project.run(['status', '--log-level', 'nonsense']);
  assert.equal(flag.status, 2, flag.stderr);
  assert.deepEqual([errorLine(flag.stderr)['code'], errorLine(flag.stderr)['msg']], ['USAGE', '--log-level "nonsense" is not one of trace, debug, info, warn, error, fatal, silent']);
  const env = await project.run(['status'], { env: { PGSHIFT_LOG_LEVEL: 'nonsense' } });
  assert.equal(env.status, 2, env.stderr);
  assert.match(String(errorLine(env.stderr)['msg']), /^PGSHIFT_LOG_LEVEL=nonsense is not one of trace, /);
  assert.match(String(errorLine(env.stderr)['hint']), /info is the default/);
  assert.equal(errorLine(env.stderr)['code'], 'CONFIG_INVALID');
  // From .env, the message says so: the variable is not in the shell's environment to be found.
  await project.write('.env', 'PGSHIFT_LOG_LEVEL=nonsense\nPGSSLMODE=bogus\n');
  const dotenv = await project.run(['status']);
  assert.equal(dotenv.status, 2, dotenv.stderr);
  assert.match(String(errorLine(dotenv.stderr)['msg']), /^PGSHIFT_LOG_LEVEL=nonsense \(from \S*\/\.env\) is not one of /);
  await project.write('.env', 'PGSSLMODE=bogus\n');
  const sslmode = await project.run(['status']);
  assert.equal(sslmode.status, 2, sslmode.stderr);
  assert.match(String(errorLine(sslmode.stderr)['msg']), /^PGSSLMODE=bogus \(from \S*\/\.env\) is not one of disable, /);
  assert.match(String(errorLine(sslmode.stderr)['hint']), /or unset it$/);
});
