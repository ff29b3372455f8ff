/**
 * The README's test-runner examples (examples/), run as a project uses them: the repository's migrations,
 * `pgshift` and the runner installed, `node --test`, `vitest run` or `jest` in the project's folder, without
 * DATABASE_URL (the embedded test server). Beside each example's test file is a copy whose expectation is
 * wrong: after the run the passing file's database is gone, and the failing file's is kept, marked so, and
 * named by the URL it printed with the password hidden.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import postgres from 'postgres';
import { TEST_DATABASES_LOCK } from '../../src/db/test-databases.js';
import { createTestDatabase, startTestServer } from '../../src/index.js';
import { copyOfRepository, cleanEnv, repoRoot, type Project } from '../support/project.js';

type Example = 'node-test' | 'vitest' | 'jest';

const RUNNERS: Readonly<Record<Example, { readonly command: readonly string[]; readonly test: string; readonly type: 'module' | 'commonjs' }>> = {
  'node-test': { command: ['--test'], test: 'test/sessions.test.js', type: 'module' },
  vitest: { command: [join(repoRoot, 'node_modules/vitest/vitest.mjs'), 'run'], test: 'test/sessions.test.js', type: 'module' },
  jest: { command: [join(repoRoot, 'node_modules/jest/bin/jest.js')], test: 'test/sessions.test.cjs', type: 'commonjs' },
};

/**
 * A project with this repository's migrations and the example's files, and pgshift installed as npm would:
 * a folder of node_modules (a runner treats code elsewhere as the project's own, and Vitest would compile
 * it), beside its dependencies, postgres and the runner.
 */
async function exampleProject(example: Example): Promise<Project> {
  const project = await copyOfRepository();
  await cp(join(repoRoot, 'examples', example), project.dir, { recursive: true });
  await project.write('package.json', JSON.stringify({ name: `example-${example}`, private: true, type: RUNNERS[example].type }));
  await cp(join(repoRoot, 'dist'), project.path('node_modules/pgshift/dist'), { recursive: true });
  await cp(join(repoRoot, 'package.json'), project.path('node_modules/pgshift/package.json'));
  const { dependencies } = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const dependency of [...Object.keys(dependencies), 'vitest', 'jest-environment-node']) {
    await mkdir(dirname(project.path(`node_modules/${dependency}`)), { recursive: true });
    await symlink(join(repoRoot, 'node_modules', dependency), project.path(`node_modules/${dependency}`));
  }
  const { test: file } = RUNNERS[example];
  // The same test, expecting what the migration does not give.
  await project.write(file.replace('sessions', 'fails'), (await project.read(file)).replace(/'private'\)/, "'shared')"));
  return project;
}

function run(project: Project, example: Example, env: Readonly<Record<string, string | undefined>> = {}, files: readonly string[] = []): Promise<{ status: number; output: string }> {
  return new Promise((resolve) => {
    // Not NODE_TEST_CONTEXT: node --test under this test runner would take itself for one of its files.
    execFile(process.execPath, [...RUNNERS[example].command, ...files], { cwd: project.dir, env: cleanEnv({ NODE_TEST_CONTEXT: undefined, ...env }), timeout: 180_000 }, (error, stdout, stderr) =>
      resolve({ status: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

/** The test databases left on the project's embedded test server, each with its comment. */
async function leftOn(project: Project): Promise<Array<{ name: string; comment: string | null }>> {
  const server = await startTestServer({ cwd: project.dir });
  const sql = postgres(server.url, { max: 1, onnotice: () => undefined });
  try {
    return [...(await sql<Array<{ name: string; comment: string | null }>>`
      SELECT datname AS name, shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname LIKE 'pgshift\\_test\\_%'`)];
  } finally {
    await sql.end();
    await server.stop();
  }
}

for (const example of ['node-test', 'vitest', 'jest'] as const) {
  test(`${example}: the passing file's database is dropped, the failing file's is kept and printed with its password hidden`, async () => {
    const project = await exampleProject(example);
    const { status, output } = await run(project, example);
    assert.notEqual(status, 0, output);
    const printed = [...output.matchAll(/kept the test database of (\S+): psql '(postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/(pgshift_test_[0-9a-f_]+)\?sslmode=disable)'/g)];
    assert.equal(printed.length, 1, output);
    assert.match(printed[0]![1]!, /fails\.test\.c?js$/);
    const left = await leftOn(project);
    assert.deepEqual(left.map(({ name }) => name), [printed[0]![3]], `only the failing file’s database is left:\n${output}`);
    assert.match(left[0]!.comment ?? '', /^pgshift \{"kept":\d+\}$/);
    assert.ok(!output.includes(await readFile(project.path('.pgshift/test-server/password'), 'utf8').then((text) => text.trim())), 'no password printed');
    assert.deepEqual(await readdir(project.path('.pgshift/test-server/users')), [], 'every process left the server');
  });
}

/** The example's test file, with a hook added that fails before any test runs. */
const FAILING_HOOK: Readonly<Record<'node-test' | 'vitest', { readonly runner: string; readonly hook: string }>> = {
  'node-test': { runner: 'node:test', hook: 'before' },
  vitest: { runner: 'vitest', hook: 'beforeAll' },
};

for (const example of ['node-test', 'vitest'] as const) {
  test(`${example}: a file whose hook fails before any test runs keeps its database and prints it`, async () => {
    const project = await exampleProject(example);
    const { runner, hook } = FAILING_HOOK[example];
    const text = await project.read(RUNNERS[example].test);
    await project.write('test/hook.test.js', `import { ${hook} as failingHook } from '${runner}';\n${text}\nfailingHook(() => { throw new Error('a hook that fails'); });\n`);
    const { status, output } = await run(project, example, {}, ['test/hook.test.js']);
    assert.notEqual(status, 0, output);
    assert.match(output, /a hook that fails/);
    const printed = [...output.matchAll(/kept the test database of (\S+): psql '[^']*\/(pgshift_test_[0-9a-f_]+)\?sslmode=disable'/g)];
    assert.equal(printed.length, 1, output);
    assert.match(printed[0]![1]!, /hook\.test\.js$/);
    const left = await leftOn(project);
    assert.deepEqual(left.map(({ name }) => name), [printed[0]![2]], 'the database of the file whose hook failed is kept');
    assert.match(left[0]!.comment ?? '', /^pgshift \{"kept":\d+\}$/);
  });
}

test('node-test with DATABASE_URL: the files use that server, and a passing run leaves nothing there', async () => {
  const project = await exampleProject('node-test');
  await writeFile(project.path('test/fails.test.js'), '');
  const admin = postgres(process.env['TEST_DATABASE_URL'] ?? '', { max: 1, onnotice: () => undefined });
  const { status, output } = await run(project, 'node-test', { DATABASE_URL: process.env['TEST_DATABASE_URL'] });
  assert.equal(status, 0, output);
  // Which template the run used: the one a further database of the same project is cloned from.
  const lines: string[] = [];
  const database = await createTestDatabase({ cwd: project.dir, database: { url: process.env['TEST_DATABASE_URL'] ?? '' }, logger: { debug() {}, warn() {}, error() {}, info: (line) => void lines.push(line) } });
  await database.drop();
  const template = /cloned from (pgshift_tpl_([0-9a-f]{8})[0-9a-f]{24})/.exec(lines.join('\n'));
  assert.ok(template, lines.join('\n'));
  const left = await admin`SELECT datname FROM pg_database WHERE datname LIKE ${`pgshift\\_test\\_${template[2]}%`}`;
  // Under the test databases' lock, as pgshift drops one: a build elsewhere would take it, half-dropped, for its own to drop.
  // Ended whatever fails: a session left holding the lock would stop every other file's build.
  try {
    await admin.unsafe(`SELECT pg_advisory_lock(${TEST_DATABASES_LOCK.sql})`);
    // Unless another file's prune on this shared server has dropped it already, as a template of other files.
    if ((await admin`SELECT 1 FROM pg_database WHERE datname = ${template[1] ?? ''}`).length > 0) {
      await admin.unsafe(`ALTER DATABASE ${template[1]} WITH IS_TEMPLATE false`);
      await admin.unsafe(`DROP DATABASE ${template[1]} WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
  assert.deepEqual([...left], [], 'no test database is left');
  assert.ok(!(await readdir(project.path('.pgshift')).catch(() => [] as string[])).includes('test-server'), 'no embedded server was started');
});
