/**
 * pgshift as a user gets it: packed by npm, installed from the tarball into an empty project, run through
 * npx and imported from TypeScript. A file left out of package.json's `files`, or an `exports` entry that
 * points nowhere, fails here and nowhere else: every other test runs the checkout.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { testDatabase } from '../support/database.js';
import { ledgerVersions } from '../support/inspect.js';
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

test("the API type-checks under strict TypeScript through the package's exports, and runs", async () => {
  const check = `import { createMigrator, isPgshiftError, type MigratorOptions, type StatusEntry } from 'pgshift';

const options: MigratorOptions = { database: { url: process.env['DATABASE_URL'] ?? '' }, outOfOrder: false };
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
  await writeFile(join(app, 'check.mts'), check);
  const config = {
    compilerOptions: { strict: true, outDir: 'out', module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', skipLibCheck: false, typeRoots: [join(repoRoot, 'node_modules', '@types')], types: ['node'] },
    files: ['check.mts'],
  };
  await writeFile(join(app, 'tsconfig.json'), JSON.stringify(config));
  await inApp(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
  // What tsc wrote, run: the exports map's runtime entry, as the types' entry was above.
  const ran = await inApp(process.execPath, [join('out', 'check.mjs')]);
  assert.deepEqual(JSON.parse(ran.stdout), ['1 applied', 'USAGE']);
});
