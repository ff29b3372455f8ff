/**
 * The parse cache's file (.pgshift/parse-cache-v1.json): what was found in each file checked before, so a
 * file is parsed once, not on every run. It is read once per run and written once at the end of the check,
 * only when something was added. It is a shortcut and nothing more: a cache that cannot be read or written
 * (a read-only folder, a file where the folder should be, broken JSON, another format, another build) is
 * logged at debug level and the run goes on as if there were none.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../core/logger.js';

const FORMAT = 1;

interface Entry {
  /** When a run last used or added it (ms since the epoch): which entries go first when the file is trimmed. */
  readonly used: number;
  readonly value: unknown;
}

interface Stored {
  readonly format: number;
  readonly build: string;
  readonly entries: Record<string, Entry>;
}

export interface CacheStoreOptions {
  readonly path: string;
  /** What made the values (pgshift's build, the parser's version): a file made by another build is ignored. */
  readonly build: string;
  /** How many entries not used by this run are kept, the most recently used first. */
  readonly keep: number;
  readonly logger: Logger;
}

export interface CacheStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  /** Writes the file when something was added since it was read or last saved. */
  save(): Promise<void>;
  /** Entries this run found, and entries it added or changed. */
  readonly counts: { readonly found: number; readonly added: number };
}

export async function openCacheStore(options: CacheStoreOptions): Promise<CacheStore> {
  const { path, build, keep, logger } = options;
  const entries = await readEntries(options);
  const now = Date.now();
  const used = new Set<string>();
  const added = new Set<string>();
  const counts = { found: 0, added: 0 };
  let dirty = false;
  let saving: Promise<void> = Promise.resolve();
  return {
    counts,
    get(key) {
      const entry = Object.hasOwn(entries, key) ? entries[key] : undefined;
      if (entry === undefined) return undefined;
      if (!used.has(key)) counts.found += 1;
      used.add(key);
      return entry.value;
    },
    set(key, value) {
      added.add(key);
      counts.added = added.size;
      entries[key] = { used: now, value };
      used.add(key);
      dirty = true;
    },
    save() {
      // The targets of a many-database run share one cache: their saves take turns.
      saving = saving.then(async () => {
        if (!dirty) return;
        dirty = false;
        await writeAtomically(path, JSON.stringify({ format: FORMAT, build, entries: trimmed(entries, used, now, keep) } satisfies Stored), logger);
      });
      return saving;
    },
  };
}

/**
 * The file's text, if it is a regular file. Opened without blocking: a FIFO put where the cache belongs
 * would otherwise hold the run (and its database session) for ever.
 */
async function readRegularFile(path: string): Promise<string> {
  const file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!(await file.stat()).isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG' });
    return await file.readFile('utf8');
  } finally {
    await file.close();
  }
}

async function readEntries({ path, build, logger }: CacheStoreOptions): Promise<Record<string, Entry>> {
  let text: string;
  try {
    text = await readRegularFile(path);
  } catch (error) {
    logger.debug(`parse cache not read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { path });
    return {};
  }
  let stored: Partial<Stored>;
  try {
    stored = JSON.parse(text) as Partial<Stored>;
  } catch (error) {
    logger.debug(`parse cache ignored: not JSON (${(error as Error).message})`, { path });
    return {};
  }
  const why =
    typeof stored !== 'object' || stored === null
      ? 'not an object'
      : stored.format !== FORMAT
        ? `format ${String(stored.format)}, not ${FORMAT}`
        : stored.build !== build
          ? `made by ${String(stored.build)}, not ${build}`
          : typeof stored.entries !== 'object' || stored.entries === null
            ? 'no entries'
            : undefined;
  if (why !== undefined) {
    logger.debug(`parse cache ignored: ${why}`, { path });
    return {};
  }
  return validEntries(stored.entries as Record<string, unknown>);
}

function validEntries(raw: Record<string, unknown>): Record<string, Entry> {
  // No prototype: a key read from the file is only ever an entry.
  const valid = Object.create(null) as Record<string, Entry>;
  for (const [key, entry] of Object.entries(raw)) {
    const { used, value } = (entry ?? {}) as Partial<Entry>;
    if (typeof used === 'number' && value !== undefined) valid[key] = { used, value };
  }
  return valid;
}

/**
 * This run's entries, and of the others the `keep` used most recently: after a branch switch the other
 * branch's files are still known, and the file does not grow without end.
 */
function trimmed(entries: Record<string, Entry>, used: ReadonlySet<string>, now: number, keep: number): Record<string, Entry> {
  const kept: Record<string, Entry> = {};
  for (const key of used) if (entries[key]) kept[key] = { used: now, value: entries[key].value };
  const others = Object.entries(entries)
    .filter(([key]) => !used.has(key))
    .sort(([, a], [, b]) => b.used - a.used)
    .slice(0, keep);
  for (const [key, entry] of others) kept[key] = entry;
  return kept;
}

/**
 * A temporary file in the same folder, renamed over the cache: a reader sees the old file or the new one,
 * never half of one; of two runs saving at once, the last rename wins and both files are whole.
 */
async function writeAtomically(path: string, text: string, logger: Logger): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temporary, text);
    await rename(temporary, path);
    logger.debug('parse cache written', { path, bytes: text.length });
  } catch (error) {
    logger.debug(`parse cache not written: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { path });
    await rm(temporary, { force: true }).catch(() => undefined);
  }
}

/**
 * What made a cache's outcomes: pgshift's version, when this build of it was made (rules change between
 * builds of one version while pgshift is developed) and the parser's version, read from its package.json
 * without loading it.
 */
export async function buildOf(pgshiftVersion: string): Promise<string> {
  const [built, parser] = await Promise.all([
    stat(fileURLToPath(import.meta.url)).then(
      (info) => Math.round(info.mtimeMs),
      () => 0,
    ),
    parserVersion(),
  ]);
  return `pgshift ${pgshiftVersion} built ${built}, libpg-query ${parser}`;
}

async function parserVersion(): Promise<string> {
  try {
    const manifest = join(dirname(fileURLToPath(import.meta.resolve('libpg-query'))), '..', 'package.json');
    return (JSON.parse(await readFile(manifest, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
