import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { buildCatalog, type Catalog } from '../core/catalog.js';
import { PgshiftError } from '../core/errors.js';
import { isSqlFile } from '../core/naming.js';
import type { FileKind, RawFile } from '../core/types.js';

export interface Directories {
  /** Where relative paths are resolved and shown from. */
  readonly cwd: string;
  readonly migrationsDir: string;
  readonly rollbacksDir: string;
}

const READ_BATCH = 500;

/** `absentOk`: a missing migrations folder reads as empty (for `new`, which creates it). */
export async function loadCatalog(dirs: Directories, { absentOk = false }: { readonly absentOk?: boolean } = {}): Promise<Catalog> {
  const [migrations, rollbacks] = await Promise.all([
    listSqlFiles(dirs, dirs.migrationsDir, 'migration', !absentOk),
    listSqlFiles(dirs, dirs.rollbacksDir, 'rollback', false),
  ]);
  return buildCatalog(await readAll([...migrations, ...rollbacks]));
}

/** One file named on the command line (`--migration PATH`), read the same way as the directory's files. */
export async function loadSingleFile(dirs: Directories, path: string, kind: FileKind): Promise<RawFile> {
  const absolute = resolve(dirs.cwd, path);
  try {
    return await readRaw({ kind, absolute, path: displayPath(dirs.cwd, absolute) });
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : readError(error);
    throw new PgshiftError('UNREADABLE_FILE', `${path} ${why}`, {
      hint: 'pass the path of a migration file, for example migrations/002_add_orders.sql',
      cause: error,
    });
  }
}

interface Listed {
  readonly kind: FileKind;
  readonly absolute: string;
  readonly path: string;
}

async function listSqlFiles(dirs: Directories, dir: string, kind: FileKind, required: boolean): Promise<Listed[]> {
  const absoluteDir = resolve(dirs.cwd, dir);
  let names: string[];
  try {
    names = await readdir(absoluteDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return [];
    const why = code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is not a folder' : readError(error);
    throw new PgshiftError('UNREADABLE_FILE', `the ${kind}s folder ${displayPath(dirs.cwd, absoluteDir)} ${why}`, {
      hint: `run pgshift from the project root, or pass --${kind}s-dir with the folder that holds the ${kind}s (pgshift new creates it)`,
      cause: error,
    });
  }
  // One relative path per folder rather than per file: path.relative costs more than reading a small file.
  const shownDir = displayPath(dirs.cwd, absoluteDir);
  return names.filter(isSqlFile).map((name) => ({ kind, absolute: join(absoluteDir, name), path: `${shownDir}/${name}` }));
}

/**
 * Migration files are small and many: synchronous reads are about five times faster than promise-based
 * ones here (10,000 files: 160 ms against 800 ms). The event loop gets a turn between batches, so a
 * signal is still seen promptly.
 */
async function readAll(files: readonly Listed[]): Promise<RawFile[]> {
  const out: RawFile[] = [];
  for (let start = 0; start < files.length; start += READ_BATCH) {
    if (start > 0) await new Promise((resolve) => setImmediate(resolve));
    for (const file of files.slice(start, start + READ_BATCH)) out.push(readListed(file));
  }
  return out;
}

/** A file that cannot be read (a dangling link, a folder named like a migration) is a problem to list, not a crash. */
function readListed(file: Listed): RawFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file.absolute);
  } catch (error) {
    return { kind: file.kind, baseName: basename(file.absolute), path: file.path, content: { unreadable: readError(error) } };
  }
  return rawFile(file, bytes);
}

/** Why a path cannot be read, in words rather than a Node error code. */
function readError(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'cannot be read: it is a link to a file that does not exist';
    case 'EISDIR':
      return 'is a folder, not a file';
    case 'EACCES':
    case 'EPERM':
      return 'cannot be read: permission denied';
    default:
      return `cannot be read (${(error as Error).message})`;
  }
}

async function readRaw(file: Listed): Promise<RawFile> {
  return rawFile(file, await readFile(file.absolute));
}

function rawFile(file: Listed, bytes: Buffer): RawFile {
  const content = isUtf8(bytes) ? { text: bytes.toString('utf8') } : { invalidUtf8AtLine: firstInvalidLine(bytes) };
  return { kind: file.kind, baseName: basename(file.absolute), path: file.path, content };
}

/** A newline byte never occurs inside a multi-byte UTF-8 sequence, so lines can be checked one by one. */
function firstInvalidLine(bytes: Buffer): number {
  let line = 1;
  let start = 0;
  for (;;) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline === -1 ? bytes.length : newline;
    if (!isUtf8(bytes.subarray(start, end))) return line;
    if (newline === -1) return line;
    line++;
    start = newline + 1;
  }
}

function displayPath(cwd: string, absolute: string): string {
  const rel = relative(cwd, absolute);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? absolute : rel;
}

/**
 * Writes a new migration and its rollback, creating their folders where missing; refuses to overwrite
 * either file. Returns their display paths and the folders it created.
 */
export async function writeNewFiles(
  dirs: Directories,
  fileName: string,
  migration: string,
  rollback: string,
): Promise<{ migration: string; rollback: string; createdFolders: string[] }> {
  const targets = [
    { absolute: resolve(dirs.cwd, dirs.migrationsDir, fileName), text: migration },
    { absolute: resolve(dirs.cwd, dirs.rollbacksDir, fileName), text: rollback },
  ];
  const createdFolders: string[] = [];
  for (const { absolute, text } of targets) {
    try {
      if ((await mkdir(dirname(absolute), { recursive: true })) !== undefined) createdFolders.push(`${displayPath(dirs.cwd, dirname(absolute))}/`);
      await writeFile(absolute, text, { flag: 'wx' });
    } catch (error) {
      const exists = (error as NodeJS.ErrnoException).code === 'EEXIST';
      throw new PgshiftError('UNREADABLE_FILE', `cannot create ${displayPath(dirs.cwd, absolute)}: ${exists ? 'it already exists' : readError(error)}`, {
        hint: exists ? 'a file of that name is in the way: rename or remove it' : 'check that the folder is writable and is a folder',
        cause: error,
      });
    }
  }
  const [first, second] = targets.map((target) => displayPath(dirs.cwd, target.absolute));
  return { migration: first as string, rollback: second as string, createdFolders };
}
