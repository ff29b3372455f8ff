/**
 * The parse cache through the real CLI: a run whose files were all checked before gives the same warnings
 * and refusals without loading PostgreSQL's parser, an edit or a new rule configuration is seen, and a cache
 * that cannot be read or written never fails a run.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { testDatabase } from '../support/database.js';
import { cleanEnv, errorLine, logLines, makeProject, repoRoot, type CliResult, type Project } from '../support/project.js';

/** NODE_OPTIONS under which libpg-query cannot be loaded: a run that succeeds there never loaded it. */
const NO_PARSER = { NODE_OPTIONS: `--import=${join(repoRoot, 'test', 'support', 'no-parser.mjs')}` };

const INDEX = 'CREATE INDEX IF NOT EXISTS ix_t ON t (id);\n';
const FILES = {
  'migrations/001_table.sql': "CREATE TABLE IF NOT EXISTS t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);\nCOMMENT ON TABLE t IS 'x';\n",
  'migrations/002_index.sql': INDEX,
};

/** `up` against a database of its own, logging at debug level. */
async function upFresh(project: Project, env: Readonly<Record<string, string>> = {}): Promise<CliResult> {
  const db = await testDatabase(import.meta.url);
  return project.run(['up', '--log-level', 'debug'], { env: { DATABASE_URL: db.url, ...env } });
}

function warnings(run: CliResult): string[] {
  return logLines(run.stderr)
    .filter((line) => line['level'] === 40)
    .map((line) => String(line['msg']));
}

function cacheLine(run: CliResult): string | undefined {
  return logLines(run.stderr)
    .map((line) => String(line['msg']))
    .find((message) => message.startsWith('parse cache: '));
}

/** What a refused run reported: its error's code, message and problems. */
function refusal(run: CliResult): unknown {
  const { code, msg, problems } = errorLine(run.stderr);
  return { status: run.status, code, msg, problems };
}

test('a second up on a fresh database gives the same warnings without loading the parser', async () => {
  const project = await makeProject(FILES);
  const first = await upFresh(project);
  assert.equal(first.status, 0, first.stderr);
  assert.equal(cacheLine(first), 'parse cache: 0 file(s) found, 2 added');
  assert.deepEqual(warnings(first), ['migrations/002_index.sql:1:1 index-not-concurrent CREATE INDEX on existing table t without CONCURRENTLY']);

  const second = await upFresh(project, NO_PARSER);
  assert.equal(second.status, 0, second.stderr);
  assert.equal(cacheLine(second), 'parse cache: 2 file(s) found, 0 added');
  assert.deepEqual(warnings(second), warnings(first));

  // The same run with the cache off needs the parser, which that process cannot load.
  const uncached = await upFresh(project, { ...NO_PARSER, PGSHIFT_CACHE: 'off' });
  assert.equal(uncached.status, 2, uncached.stderr);
  assert.match(String(errorLine(uncached.stderr)['msg']), /the SQL parser could not be loaded: libpg-query is blocked/);
  assert.equal(cacheLine(uncached), undefined);
});

test('a syntax error and a finding set to "error" are refused again, the same way, from the cache', async () => {
  const broken = await makeProject({ 'migrations/001_table.sql': 'CREATE TABLE t (id int);\n\n  SELEC 1;\n' });
  const first = await upFresh(broken);
  assert.equal(first.status, 3, first.stderr);
  assert.match(first.stderr, /migrations\/001_table\.sql:3:3: syntax error at or near \\"SELEC\\"/);
  const second = await upFresh(broken, NO_PARSER);
  assert.deepEqual(refusal(second), refusal(first));
  assert.equal(cacheLine(second), 'parse cache: 1 file(s) found, 0 added');

  const strict = await makeProject({ ...FILES, 'package.json': JSON.stringify({ pgshift: { lint: { rules: { 'index-not-concurrent': 'error' } } } }) });
  const refused = await upFresh(strict);
  assert.equal(refused.status, 3, refused.stderr);
  assert.match(refused.stderr, /lint: 1 finding\(s\) set to \\"error\\"; nothing was run/);
  assert.deepEqual(refusal(await upFresh(strict, NO_PARSER)), refusal(refused));
  // --strict stops on the warning the cache holds, too.
  const plain = await makeProject(FILES);
  await upFresh(plain);
  const db = await testDatabase(import.meta.url);
  const strictRun = await plain.run(['up', '--strict'], { env: { DATABASE_URL: db.url, ...NO_PARSER } });
  assert.equal(strictRun.status, 3, strictRun.stderr);
  assert.match(strictRun.stderr, /lint: 1 finding\(s\) with --strict; nothing was run/);
});

test('an edited file is parsed again; a new rule configuration applies with no parse', async () => {
  const project = await makeProject(FILES);
  assert.equal((await upFresh(project)).status, 0);
  await project.write('migrations/002_index.sql', `-- the index for lookups\n${INDEX}`);
  const edited = await upFresh(project);
  assert.equal(edited.status, 0, edited.stderr);
  assert.equal(cacheLine(edited), 'parse cache: 1 file(s) found, 1 added');
  assert.deepEqual(warnings(edited), ['migrations/002_index.sql:2:1 index-not-concurrent CREATE INDEX on existing table t without CONCURRENTLY']);

  await project.write('package.json', JSON.stringify({ pgshift: { lint: { rules: { 'index-not-concurrent': 'off' } } } }));
  const off = await upFresh(project, NO_PARSER);
  assert.equal(off.status, 0, off.stderr);
  assert.deepEqual(warnings(off), []);
  await project.write('package.json', JSON.stringify({ pgshift: { lint: { rules: { 'index-not-concurrent': 'error' } } } }));
  const error = await upFresh(project, NO_PARSER);
  assert.equal(error.status, 3, error.stderr);
  assert.match(error.stderr, /migrations\/002_index\.sql:2:1 index-not-concurrent/);
});

test('a broken cache, a file in the way of .pgshift, or two runs at once: the runs succeed and say nothing of it', async () => {
  const project = await makeProject(FILES);
  const cache = project.path('.pgshift/parse-cache-v1.json');
  await project.write('.pgshift/parse-cache-v1.json', '{"format":1,"entr');
  const corrupt = await project.run(['up'], { env: { DATABASE_URL: (await testDatabase(import.meta.url)).url } });
  assert.equal(corrupt.status, 0, corrupt.stderr);
  assert.doesNotMatch(corrupt.stderr, /parse cache/, 'nothing at info level');
  assert.equal(Object.keys((JSON.parse(await readFile(cache, 'utf8')) as { entries: object }).entries).length, 2, 'replaced by a whole cache');

  await writeFile(cache, JSON.stringify({ format: 2, entries: {} }));
  const other = await upFresh(project);
  assert.equal(other.status, 0, other.stderr);
  assert.ok(logLines(other.stderr).some((line) => line['level'] === 20 && /parse cache ignored: format 2, not 1/.test(String(line['msg']))));

  const blocked = await makeProject({ ...FILES, '.pgshift': 'a file, not a folder' });
  const inTheWay = await upFresh(blocked);
  assert.equal(inTheWay.status, 0, inTheWay.stderr);
  assert.deepEqual(warnings(inTheWay), ['migrations/002_index.sql:1:1 index-not-concurrent CREATE INDEX on existing table t without CONCURRENTLY']);
  assert.ok(logLines(inTheWay.stderr).some((line) => /parse cache not written: (ENOTDIR|EEXIST)/.test(String(line['msg']))), inTheWay.stderr);
  assert.equal(await blocked.read('.pgshift'), 'a file, not a folder');

  const together = await makeProject(FILES);
  const runs = await Promise.all([upFresh(together), upFresh(together)]);
  for (const run of runs) assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(await readdir(together.path('.pgshift')), ['parse-cache-v1.json']);
  assert.equal(cacheLine(await upFresh(together, NO_PARSER)), 'parse cache: 2 file(s) found, 0 added');
});

test('a project folder pgshift may not write in: the run succeeds and no .pgshift is made', async () => {
  const project = await makeProject(FILES);
  const db = await testDatabase(import.meta.url);
  const run = await unprivileged(project, db.url);
  assert.equal(run.status, 0, run.stderr);
  assert.ok(logLines(run.stderr).some((line) => /parse cache not written: EACCES/.test(String(line['msg']))), run.stderr);
  assert.deepEqual((await readdir(project.dir)).sort(), ['migrations', 'rollbacks']);
});

/**
 * `up` with no write access to the project: as root (who may write anywhere) it runs as the user nobody
 * in the root-owned folder; as anyone else the folder is made read-only for the run.
 */
async function unprivileged(project: Project, url: string): Promise<CliResult> {
  const asRoot = process.getuid?.() === 0;
  if (!asRoot) await chmod(project.dir, 0o555);
  try {
    return await new Promise((resolve, reject) => {
      const env = cleanEnv({ DATABASE_URL: url, HOME: project.dir });
      const options = { cwd: project.dir, env, timeout: 120_000, ...(asRoot ? { uid: 65534, gid: 65534 } : {}) };
      execFile(process.execPath, [join(repoRoot, 'dist', 'pgshift.mjs'), 'up', '--log-level', 'debug'], options, (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ status: error ? Number(error.code) : 0, stdout, stderr });
      });
    });
  } finally {
    if (!asRoot) await chmod(project.dir, 0o755);
  }
}
