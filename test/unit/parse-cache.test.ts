/** The parse cache's file on a real filesystem: what it keeps, and every way it fails without failing a run. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { checksumOf } from '../../src/core/checksum.js';
import type { Logger } from '../../src/core/logger.js';
import type { SqlFile } from '../../src/core/types.js';
import { parseCacheFromEnvironment, parseCacheSetting } from '../../src/config/parse-cache.js';
import { openCacheStore, type CacheStoreOptions } from '../../src/io/parse-cache.js';
import { checkCache } from '../../src/lint/check-cache.js';
import { isFileLint } from '../../src/lint/file-lint.js';

const root = await mkdtemp(join(tmpdir(), 'pgshift-parse-cache-'));
after(() => rm(root, { recursive: true, force: true }));
let folders = 0;

/** A logger that keeps what it is told, by level. */
function recording(): Logger & { lines: Array<[string, string]> } {
  const lines: Array<[string, string]> = [];
  const at = (level: string) => (message: string) => void lines.push([level, message]);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A fresh project folder and the options of a cache in its .pgshift/. */
async function setup(keep = 10): Promise<{ dir: string; path: string; options: (logger: Logger) => CacheStoreOptions }> {
  const dir = join(root, `project-${(folders += 1)}`);
  await mkdir(dir);
  const path = join(dir, '.pgshift', 'parse-cache-v1.json');
  return { dir, path, options: (logger) => ({ path, build: 'build-1', keep, logger }) };
}

function onlyDebug(logger: ReturnType<typeof recording>, pattern: RegExp): void {
  assert.deepEqual(
    logger.lines.filter(([level]) => level !== 'debug'),
    [],
    'nothing above debug level',
  );
  assert.ok(
    logger.lines.some(([, message]) => pattern.test(message)),
    `a debug line matching ${pattern}: ${JSON.stringify(logger.lines)}`,
  );
}

/** Opens the store, adds one entry and saves it: both the read and the write fail, each with one debug line. */
async function saveOneExpecting(options: (logger: Logger) => CacheStoreOptions, read: RegExp, written: RegExp): Promise<void> {
  const logger = recording();
  const store = await openCacheStore(options(logger));
  store.set('a', 1);
  await store.save();
  onlyDebug(logger, read);
  onlyDebug(logger, written);
}

describe('parse cache store', () => {
  test('what one run adds the next finds; a run that adds nothing writes nothing', async () => {
    const { path, options } = await setup();
    const first = recording();
    const store = await openCacheStore(options(first));
    onlyDebug(first, /parse cache not read: ENOENT/);
    store.set('a', { syntax: { ok: true } });
    await store.save();
    const written = (await stat(path)).mtimeMs;
    const again = await openCacheStore(options(recording()));
    assert.deepEqual(again.get('a'), { syntax: { ok: true } });
    assert.equal(again.get('b'), undefined);
    await again.save();
    assert.equal((await stat(path)).mtimeMs, written);
    assert.deepEqual(again.counts, { found: 1, added: 0 });
  });

  test('broken JSON, another format and another build are ignored, then replaced', async () => {
    const cases: Array<[string, RegExp]> = [
      ['{"format":1,"build":"build-1","entr', /ignored: not JSON/],
      [JSON.stringify({ format: 2, build: 'build-1', entries: { a: { used: 1, value: 1 } } }), /ignored: format 2, not 1/],
      [JSON.stringify({ format: 1, build: 'build-0', entries: { a: { used: 1, value: 1 } } }), /ignored: made by build-0, not build-1/],
      ['null', /ignored: not an object/],
    ];
    for (const [text, why] of cases) {
      const { path, options } = await setup();
      await mkdir(join(path, '..'));
      await writeFile(path, text);
      const logger = recording();
      const store = await openCacheStore(options(logger));
      onlyDebug(logger, why);
      assert.equal(store.get('a'), undefined);
      store.set('b', 2);
      await store.save();
      const saved = JSON.parse(await readFile(path, 'utf8')) as { format: number; build: string; entries: Record<string, { value: unknown }> };
      assert.deepEqual([saved.format, saved.build, Object.keys(saved.entries), saved.entries['b']?.value], [1, 'build-1', ['b'], 2]);
    }
  });

  test('a file where .pgshift should be: not read, not written, and left alone', async () => {
    const { dir, options } = await setup();
    await writeFile(join(dir, '.pgshift'), 'mine');
    await saveOneExpecting(options, /parse cache not read: ENOTDIR/, /parse cache not written: (ENOTDIR|EEXIST)/);
    assert.equal(await readFile(join(dir, '.pgshift'), 'utf8'), 'mine');
  });

  test('a FIFO where the cache file should be: not read (a blocking read would hold the run for ever), replaced by the write', async () => {
    const { path, options } = await setup();
    await mkdir(join(path, '..'), { recursive: true });
    execFileSync('mkfifo', [path]);
    const logger = recording();
    const store = await openCacheStore(options(logger));
    store.set('a', 1);
    await store.save();
    onlyDebug(logger, /parse cache not read: ENOTREG/);
    assert.equal((await stat(path)).isFile(), true);
  });

  test('a folder where the cache file should be: not read, not written, no temporary file left', async () => {
    const { path, options } = await setup();
    await mkdir(path, { recursive: true });
    await writeFile(join(path, 'x'), 'x');
    await saveOneExpecting(options, /parse cache not read: ENOTREG/, /parse cache not written: (EISDIR|ENOTEMPTY|EEXIST)/);
    assert.deepEqual(await readdir(join(path, '..')), ['parse-cache-v1.json']);
  });

  test("a run keeps its own entries and the most recently used of the others, up to the bound", async () => {
    const { path, options } = await setup(2);
    await mkdir(join(path, '..'));
    const entries = Object.fromEntries(['old', 'older', 'newest', 'newer', 'mine'].map((key, index) => [key, { used: [20, 10, 50, 40, 1][index], value: key }]));
    await writeFile(path, JSON.stringify({ format: 1, build: 'build-1', entries }));
    const store = await openCacheStore(options(recording()));
    assert.equal(store.get('mine'), 'mine');
    store.set('new', 'new');
    await store.save();
    const kept = (JSON.parse(await readFile(path, 'utf8')) as { entries: Record<string, unknown> }).entries;
    assert.deepEqual(Object.keys(kept).sort(), ['mine', 'new', 'newer', 'newest']);
  });

  test('two runs saving at once leave one whole file and no temporary files', async () => {
    const { path, options } = await setup();
    const stores = await Promise.all([openCacheStore(options(recording())), openCacheStore(options(recording()))]);
    stores.forEach((store, index) => {
      for (let entry = 0; entry < 200; entry++) store.set(`${index}-${entry}`, { index, entry });
    });
    await Promise.all(stores.map((store) => store.save()));
    const kept = (JSON.parse(await readFile(path, 'utf8')) as { entries: Record<string, unknown> }).entries;
    const owners = new Set(Object.keys(kept).map((key) => key.split('-')[0]));
    assert.equal(owners.size, 1, 'one run wrote the file, whole');
    assert.equal(Object.keys(kept).length, 200);
    assert.deepEqual(await readdir(join(path, '..')), ['parse-cache-v1.json']);
  });
});

describe('check cache entries', () => {
  const text = 'CREATE TABLE t (id int);\n';
  const file: SqlFile = { kind: 'migration', version: 1, name: 't', path: 'migrations/001_t.sql', text, checksum: checksumOf(text) };

  test('a file is known by its kind, path and text', async () => {
    const { options } = await setup();
    const store = await openCacheStore(options(recording()));
    const cache = checkCache(store);
    cache.remember(file, { error: 'syntax error at or near "x"', at: 3 }, { findings: [], problems: [] });
    assert.deepEqual(cache.syntax(file), { error: 'syntax error at or near "x"', at: 3 });
    assert.deepEqual(cache.storedLint(file), { findings: [], problems: [] });
    for (const other of [{ ...file, kind: 'rollback' as const }, { ...file, path: 'migrations/002_t.sql' }, { ...file, checksum: checksumOf(`${text} `) }]) {
      assert.equal(cache.syntax(other), undefined);
    }
  });

  test('an entry of the wrong shape is a miss, never an outcome', () => {
    // The cache's entries as a plain map: what another build or a hand might have left in the file.
    const entries = new Map<string, unknown>();
    const cache = checkCache({ get: (key) => entries.get(key), set: (key, value) => void entries.set(key, value) });
    cache.remember(file, { ok: true }, { findings: [], problems: [] });
    const [key] = [...entries.keys()];
    const damaged = [
      { syntax: { ok: 'yes' } },
      { syntax: { error: 'x', at: -1 } },
      { syntax: { ok: true }, lint: { findings: [{ rule: 'no-such-rule', at: 0, message: 'm' }], problems: [] } },
      { syntax: { ok: true }, lint: { findings: [], problems: [{ code: 'LINT_FINDINGS', at: 0, message: 'm', hint: 'h' }] } },
      { syntax: { ok: true }, lint: { findings: 'none', problems: [] } },
      // Places past the end of the file: not made from this text.
      { syntax: { error: 'x', at: text.length + 1 } },
      { syntax: { ok: true }, lint: { findings: [{ rule: 'create-if-not-exists', at: 10_000, message: 'm' }], problems: [] } },
      'text',
    ];
    for (const value of damaged) {
      entries.set(key as string, value);
      const syntaxKept = cache.syntax(file) !== undefined;
      assert.ok(!syntaxKept || !isFileLint(cache.storedLint(file)), JSON.stringify(value));
    }
  });
});

describe('PGSHIFT_CACHE', () => {
  test('on unless it says off; anything else is refused, not guessed', () => {
    assert.deepEqual(parseCacheSetting('/p'), { path: join('/p', '.pgshift', 'parse-cache-v1.json'), keep: 5000 });
    assert.equal(parseCacheSetting('/p', false), undefined);
    assert.equal(parseCacheFromEnvironment(undefined), true);
    assert.equal(parseCacheFromEnvironment('on'), true);
    assert.equal(parseCacheFromEnvironment('off'), false);
    assert.throws(() => parseCacheFromEnvironment('false'), { code: 'CONFIG_INVALID', message: 'PGSHIFT_CACHE=false is not on or off' });
  });
});
