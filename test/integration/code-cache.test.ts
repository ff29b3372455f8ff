/**
 * The bin's V8 code cache (dist/cli-main.cache, beside the bundle): written by a first run, replaced once by
 * the first run that opened a session, then left alone; a damaged, stale or unwritable cache never fails a
 * run or changes what it prints. Each test runs a copy of the built bin in a package layout of its own, so
 * that the suite's other runs never share its cache.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFile, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { testDatabase } from '../support/database.js';
import { cleanEnv, makeProject, repoRoot, type Project } from '../support/project.js';

interface Installed {
  readonly cache: string;
  readonly bundle: string;
  readonly dist: string;
  run(args: readonly string[], cwd: string, env?: Record<string, string>): Promise<{ status: number; stdout: string; stderr: string }>;
}

async function install(): Promise<Installed> {
  const root = await mkdtemp(join(tmpdir(), 'pgshift-code-cache-'));
  after(() => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, 'dist'));
  await cp(join(repoRoot, 'package.json'), join(root, 'package.json'));
  for (const file of ['pgshift.mjs', 'cli-main.cjs']) await cp(join(repoRoot, 'dist', file), join(root, 'dist', file));
  await symlink(join(repoRoot, 'node_modules'), join(root, 'node_modules'));
  return {
    cache: join(root, 'dist', 'cli-main.cache'),
    bundle: join(root, 'dist', 'cli-main.cjs'),
    dist: join(root, 'dist'),
    run: (args, cwd, env = {}) =>
      promisify(execFile)(process.execPath, [join(root, 'dist', 'pgshift.mjs'), ...args], { cwd, env: cleanEnv(env) }).then(
        ({ stdout, stderr }) => ({ status: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => ({ status: error.code, stdout: error.stdout, stderr: error.stderr }),
      ),
  };
}

/** What a run showed, less the time and pid of its log lines. */
function shown(run: { status: number; stdout: string; stderr: string }): unknown {
  return { ...run, stderr: run.stderr.replace(/"time":\d+,"pid":\d+,/g, '') };
}

/** A fresh install, a project with one migration and a database of its own; `applied`: `up` has run there. */
async function installedProject(applied: boolean): Promise<{ installed: Installed; project: Project; env: Record<string, string> }> {
  const installed = await install();
  const db = await testDatabase(import.meta.url);
  const project = await makeProject({ 'migrations/001_t.sql': 'CREATE TABLE IF NOT EXISTS t (id int);\nCOMMENT ON TABLE t IS $$t$$;\n' });
  const env = { DATABASE_URL: db.url };
  if (applied) assert.equal((await installed.run(['up'], project.dir, env)).status, 0);
  return { installed, project, env };
}

/** The cache's header line: its stamp, kind and digest. */
async function header(path: string): Promise<string[]> {
  const text = (await readFile(path)).toString('latin1');
  return text.slice(0, text.indexOf('\n')).split('\t');
}

test('a first run writes the cache, the first run that opens a session replaces it once, later runs leave it', async () => {
  const { installed, project, env } = await installedProject(false);

  const version = await installed.run(['--version'], project.dir);
  assert.equal(version.status, 0, version.stderr);
  const [stamp, kind, digest] = await header(installed.cache);
  const bundleDigest = createHash('sha256').update(await readFile(installed.bundle)).digest('hex');
  assert.equal(stamp, `pgshift-code-cache ${bundleDigest} ${process.version}`);
  assert.equal(kind, 'partial', 'made by a run that opened no session');
  assert.match(digest ?? '', /^[0-9a-f]{64}$/);

  const up = await installed.run(['up'], project.dir, env);
  assert.equal(up.status, 0, up.stderr);
  assert.equal((await header(installed.cache))[1], 'session');
  const written = await readFile(installed.cache);
  const status = await installed.run(['status'], project.dir, env);
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /^\s+1\s+t\s+applied /m);
  assert.deepEqual(await readFile(installed.cache), written, 'a good cache is used, not written again');
});

test('a damaged cache, one made for another build and one that cannot be written never fail a run or change its output', async () => {
  const { installed, project, env } = await installedProject(true);
  const expected = shown(await installed.run(['status'], project.dir, env));

  // Bytes damaged on disk: V8 would crash on them; the digest catches them and the run rewrites the cache.
  const damaged = Buffer.from(await readFile(installed.cache));
  const start = damaged.indexOf(10) + 1;
  for (let index = start + 4000; index < start + 4400; index++) damaged[index] = (damaged[index] ?? 0) ^ 0x5a;
  await writeFile(installed.cache, damaged);
  assert.deepEqual(shown(await installed.run(['status'], project.dir, env)), expected);
  const [, kind, digest] = await header(installed.cache);
  assert.equal(kind, 'session');
  assert.notDeepEqual(await readFile(installed.cache), damaged);
  assert.ok(digest !== undefined && digest.length === 64);

  // A changed bundle makes the cache stale: it is not used, and is replaced. Its mtime alone does not (npm
  // sets every file's at install).
  const stamp = (await header(installed.cache))[0];
  const later = new Date(Date.now() + 60_000);
  await utimes(installed.bundle, later, later);
  assert.deepEqual(shown(await installed.run(['status'], project.dir, env)), expected);
  assert.equal((await header(installed.cache))[0], stamp, 'a new mtime alone keeps the cache');
  await appendFile(installed.bundle, '// rebuilt\n');
  assert.deepEqual(shown(await installed.run(['status'], project.dir, env)), expected);
  assert.notEqual((await header(installed.cache))[0], stamp);

  // Nothing can be written where the cache goes (a folder holds its name): the run compiles as usual.
  await rm(installed.cache);
  await mkdir(installed.cache);
  assert.deepEqual(shown(await installed.run(['status'], project.dir, env)), expected);
  assert.ok((await stat(installed.cache)).isDirectory());
});

test('runs started together on a fresh install all succeed and leave one whole cache', async () => {
  const { installed, project, env } = await installedProject(true);
  await rm(installed.cache);
  const runs = await Promise.all(Array.from({ length: 6 }, () => installed.run(['status', '--json'], project.dir, env)));
  for (const run of runs) {
    assert.equal(run.status, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as Array<{ state: string }>)[0]?.state, 'applied');
  }
  const [, kind] = await header(installed.cache);
  assert.equal(kind, 'session');
  // Whole: a run reading it now uses it and does not replace it.
  const stored = await readFile(installed.cache);
  assert.equal((await installed.run(['status'], project.dir, env)).status, 0);
  assert.deepEqual(await readFile(installed.cache), stored);
});

test('runs under node flags V8 would refuse the cache for keep a cache of their own, and leave the plain one alone', async () => {
  const { installed, project, env } = await installedProject(true);
  const plain = await readFile(installed.cache);
  const expected = shown(await installed.run(['status'], project.dir, env));
  const flagged = { ...env, NODE_OPTIONS: '--max-old-space-size=200' };
  for (let round = 0; round < 2; round++) assert.deepEqual(shown(await installed.run(['status'], project.dir, flagged)), expected);
  const caches = (await readdir(installed.dist)).filter((name) => name.endsWith('.cache')).sort();
  assert.equal(caches.length, 2, caches.join(', '));
  assert.match(caches[0] ?? '', /^cli-main\.[0-9a-f]{12}\.cache$/);
  assert.equal((await header(join(installed.dist, caches[0] as string)))[1], 'session');
  assert.deepEqual(await readFile(installed.cache), plain, 'the plain runs\' cache is untouched');
});
