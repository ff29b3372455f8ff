/**
 * pgshift as a user gets it: packed by npm, installed from the tarball into an empty project, run through
 * npx and imported from TypeScript. A file left out of package.json's `files`, or an `exports` entry that
 * points nowhere, fails here and nowhere else: every other test runs the checkout.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { testDatabase } from '../support/database.js';
import { ledgerVersions } from '../support/inspect.js';
import { waitFor } from '../support/wait.js';
import { cleanEnv, repoRoot } from '../support/project.js';

const db = await testDatabase(import.meta.url);
const run = promisify(execFile);
const { version } = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string };

const work = await mkdtemp(join(tmpdir(), 'pgshift-package-'));
after(() => rm(work, { recursive: true, force: true }));
const app = join(work, 'app');
/** npm's own variables from the `npm test` around this file would steer the install (its prefix, its scripts). */
const env = Object.fromEntries(Object.entries(cleanEnv({ DATABASE_URL: db.url })).filter(([key]) => !/^npm_/i.test(key)));
const inApp = (command: string, args: readonly string[]) => run(command, [...args], { cwd: app, env, maxBuffer: 16 * 1024 * 1024 });

before(async () => {
  // npm test has just built dist/: packing must not build again (prepare), only take what `files` lists.
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: repoRoot, env });
  const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
  await mkdir(join(app, 'migrations'), { recursive: true });
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await writeFile(join(app, 'migrations', '001_widgets.sql'), 'CREATE TABLE widgets (id int PRIMARY KEY);\n');
  // The dependencies come from the cache `npm ci` filled; the registry only for what it lacks.
  await inApp('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, filename)]);
});

test('npx pgshift --version, then up against the test server, from the installed tarball', async () => {
  const shown = await inApp('npx', ['--no-install', 'pgshift', '--version']);
  assert.equal(shown.stdout, `${version}\n`);
  const up = await inApp('npx', ['--no-install', 'pgshift', 'up']);
  assert.match(up.stderr, /applied migrations\/001_widgets\.sql/);
  assert.deepEqual(await ledgerVersions(db.sql), [1]);
});

test("the API type-checks under strict TypeScript through the package's exports, as an ES module and as CommonJS, and runs", async () => {
  const body = `const options: MigratorOptions = { database: { url: process.env['DATABASE_URL'] ?? '' }, outOfOrder: false };
const entries: readonly StatusEntry[] = (await createMigrator(options).status()).entries;
const states: string[] = entries.map((entry) => \`\${entry.version} \${entry.state}\`);
try {
  await createMigrator(options).down({ steps: 0 });
} catch (error) {
  if (!isPgshiftError(error)) throw error;
  states.push(error.code);
}
process.stdout.write(JSON.stringify(states));
`;
  const imports = "import { createMigrator, isPgshiftError, type MigratorOptions, type StatusEntry } from 'pgshift';\n";
  await writeFile(join(app, 'check.mts'), `${imports}${body}`);
  // CommonJS: the import becomes require('pgshift'), the exports map's require entry and its types.
  await writeFile(join(app, 'check.cts'), `${imports}void (async () => {\n${body}})();\n`);
  const config = {
    compilerOptions: { strict: true, outDir: 'out', module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', skipLibCheck: false, typeRoots: [join(repoRoot, 'node_modules', '@types')], types: ['node'] },
    files: ['check.mts', 'check.cts'],
  };
  await writeFile(join(app, 'tsconfig.json'), JSON.stringify(config));
  await inApp(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
  // What tsc wrote, run: the exports map's runtime entry, as the types' entry was above.
  for (const output of ['check.mjs', 'check.cjs']) {
    const ran = await inApp(process.execPath, [join('out', output)]);
    assert.deepEqual(JSON.parse(ran.stdout), ['1 applied', 'USAGE'], output);
  }
  assert.match(await readFile(join(app, 'out', 'check.cjs'), 'utf8'), /require\("pgshift"\)/);
});

interface ActionFile {
  readonly inputs: Record<string, { readonly default?: string }>;
  readonly runs: { readonly steps: ReadonlyArray<{ readonly run: string; readonly env: Record<string, string> }> };
}

let actionRuns = 0;

/**
 * The installed package's action.yml, run as the runner runs a composite bash step: its inputs (given, else
 * their defaults) put into the step's env, the script in a file run by `bash --noprofile --norc -eo pipefail`,
 * GITHUB_OUTPUT and GITHUB_STEP_SUMMARY as files, CI=true, and no DATABASE_URL but the input's.
 */
async function runAction(inputs: Readonly<Record<string, string>>) {
  const action = parse(await readFile(join(app, 'node_modules', 'pgshift', 'action.yml'), 'utf8')) as ActionFile;
  const values: Record<string, string> = { ...Object.fromEntries(Object.entries(action.inputs).map(([name, input]) => [name, input.default ?? ''])), ...inputs };
  const resolved = (text: string): string => text.replace(/\$\{\{ inputs\.([\w-]+) \}\}/g, (_, name: string) => values[name] ?? '');
  const [step] = action.runs.steps;
  assert.ok(step);
  const dir = join(work, `action-${++actionRuns}`);
  await mkdir(dir);
  const files = { script: join(dir, 'step.sh'), output: join(dir, 'output'), summary: join(dir, 'summary') };
  await writeFile(files.script, step.run);
  await writeFile(files.output, '');
  await writeFile(files.summary, '');
  const stepEnv = Object.fromEntries(Object.entries(step.env).map(([name, value]) => [name, resolved(value)]));
  const runner = { ...cleanEnv({ CI: 'true' }), GITHUB_OUTPUT: files.output, GITHUB_STEP_SUMMARY: files.summary, RUNNER_TEMP: dir, ...stepEnv };
  const child = await run('bash', ['--noprofile', '--norc', '-eo', 'pipefail', files.script], { cwd: join(app, values['working-directory'] ?? '.'), env: runner }).then(
    ({ stdout, stderr }) => ({ status: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ status: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
  const outputs = Object.fromEntries((await readFile(files.output, 'utf8')).split('\n').filter(Boolean).map((line) => line.split(/=(.*)/s).slice(0, 2))) as Record<string, string>;
  // Only what the step hands on stays in the runner's temporary folder: the output file.
  const left = (await readdir(dir)).filter((name) => !Object.values(files).includes(join(dir, name)) && name !== basename(outputs['output-file'] ?? ''));
  assert.deepEqual(left, [], 'the step leaves no file of its own behind');
  return { ...child, outputs, summary: await readFile(files.summary, 'utf8') };
}

test("the package's action runs pgshift with the command, args and database URL given, and passes its exit status and stdout on", async () => {
  await writeFile(join(app, 'migrations', '002_gadgets.sql'), 'CREATE TABLE gadgets (id int PRIMARY KEY);\n');
  const review = await runAction({ command: 'up --dry-run --format markdown', args: `--schema 'odd schema'`, 'database-url': db.url });
  assert.equal(review.status, 0, review.stderr);
  // The runner reads the mask command and hides the URL from the log; anything else must not name it. The
  // review holds the files' text, so the runner is told to obey no command in it.
  const [mask, stop, ...rest] = review.stdout.split(/(?<=\n)/);
  assert.equal(mask, `::add-mask::${db.url}\n`);
  const token = /^::stop-commands::(pgshift-[0-9a-f]{32})\n$/.exec(stop ?? '')?.[1];
  assert.ok(token, stop);
  assert.equal(rest.at(-1), `::${token}::\n`);
  const printed = rest.slice(0, -1).join('');
  assert.match(printed, /^### pgshift: ⚠️ 2 migrations would apply/);
  assert.equal(review.outputs['exit-status'], '0');
  assert.equal(await readFile(review.outputs['output-file'] ?? '', 'utf8'), printed);
  assert.equal(review.summary, printed, 'a markdown review goes to the job summary');
  assert.ok(!`${printed}${review.stderr}`.includes(db.url), 'the URL is not printed');

  // Only --format's own value turns the runner's obedience on: a schema named github is still a review's text.
  await writeFile(join(app, 'migrations', '003_comment.sql'), '/*\n::warning title=injected::from a file\n*/\nSELECT 1;\n');
  const named = await runAction({ command: 'up --dry-run', args: '--schema github', 'database-url': db.url });
  assert.equal(named.status, 0, named.stderr);
  assert.match(named.stdout, /^::stop-commands::pgshift-[0-9a-f]{32}\n[^]*::warning title=injected::/m);
  await rm(join(app, 'migrations', '003_comment.sql'));

  const status = await runAction({ command: 'status --json', 'database-url': db.url });
  assert.equal(status.status, 0, status.stderr);
  assert.deepEqual((JSON.parse(status.stdout.replace(/^::(add-mask|stop-commands)::.*\n/gm, '').replace(/^::pgshift-\w+::\n/m, '')) as Array<{ version: number; state: string }>).map((entry) => [entry.version, entry.state]), [[1, 'applied'], [2, 'pending']]);
  assert.equal(status.summary, '');

  await writeFile(join(app, 'migrations', '003_broken.sql'), 'CREATE TABLE broken (id int,);\n');
  const refused = await runAction({ command: 'validate', 'database-url': db.url });
  assert.equal(refused.status, 3, 'the step fails with pgshift\'s exit status');
  assert.equal(refused.outputs['exit-status'], '3');
});

test('the action expands nothing in its inputs, and says what is wrong with them', async () => {
  const hostile = await runAction({ command: 'status', args: '$(touch pwned) `touch pwned2` *' });
  assert.equal(hostile.status, 2);
  await assert.rejects(readFile(join(app, 'pwned')), 'no command substitution ran');
  await assert.rejects(readFile(join(app, 'pwned2')));
  const unbalanced = await runAction({ command: "status --schema 'app" });
  assert.equal(unbalanced.status, 2);
  assert.match(unbalanced.stdout, /^::error title=pgshift::the command or args have an unbalanced quote$/m);
  assert.equal(unbalanced.outputs['exit-status'], '2', 'a refusal is an output too');
  assert.ok(!unbalanced.stdout.includes('xargs'), "xargs' own complaint is not shown beside the action's");
  const noDatabase = await runAction({ command: 'status' });
  assert.equal(noDatabase.status, 2, 'CI=true and no database-url: the embedded server is refused, not started');
  const empty = await runAction({ command: ' ' });
  assert.equal(empty.status, 2);
  assert.match(empty.stdout, /^::error title=pgshift::the command input is empty/m);
});

test("a job cancelled during the action's run stops pgshift as Ctrl-C does: rolled back, exit 130, outputs written", async () => {
  await writeFile(join(app, 'migrations', '003_broken.sql'), 'SELECT pg_sleep(30);\n');
  const running = runAction({ command: 'up', 'database-url': db.url });
  await waitFor(async () => (await db.sql`SELECT 1 FROM pg_stat_activity WHERE application_name LIKE 'pgshift up: migrations/003\_broken.sql @%'`).length > 0, 'the step reaching 003');
  const [shell] = (await run('pgrep', ['-f', 'step.sh'])).stdout.trim().split('\n');
  process.kill(Number(shell), 'SIGTERM');
  const cancelled = await running;
  assert.equal(cancelled.status, 130, cancelled.stderr);
  assert.equal(cancelled.outputs['exit-status'], '130');
  assert.deepEqual(await ledgerVersions(db.sql), [1, 2], '003 was rolled back');
  await rm(join(app, 'migrations', '003_broken.sql'));
});
