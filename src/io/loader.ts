import { closeSync, openSync, readSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { catalogBuilder, type Catalog } from '../core/catalog.js';
import { contentOf } from '../core/checksum.js';
import { PgshiftError } from '../core/errors.js';
import { isSqlFile } from '../core/naming.js';
import type { FileKind, RawFile } from '../core/types.js';

export interface Directories {
  /** Where relative paths are resolved and shown from. */
  readonly cwd: string;
  readonly migrationsDir: string;
  readonly rollbacksDir: string;
  /** Where repeatable files live; absent, like a missing folder, there are none. */
  readonly repeatableDir?: string;
  /** The folder was named (--repeatable-dir): a missing one is a mistake, not a project without any. */
  readonly repeatableRequired?: boolean;
}

const READ_BATCH = 500;

/** `absentOk`: a missing migrations folder reads as empty (for `new`, which creates it). */
export async function loadCatalog(dirs: Directories, { absentOk = false }: { readonly absentOk?: boolean } = {}): Promise<Catalog> {
  const [migrations, rollbacks, repeatables] = await Promise.all([
    listSqlFiles(dirs, dirs.migrationsDir, 'migration', !absentOk),
    listSqlFiles(dirs, dirs.rollbacksDir, 'rollback', false),
    dirs.repeatableDir === undefined ? undefined : listSqlFiles(dirs, dirs.repeatableDir, 'repeatable', dirs.repeatableRequired === true),
  ]);
  return readAll(repeatables === undefined ? [migrations, rollbacks] : [migrations, rollbacks, repeatables]);
}

/** Fails as loadCatalog would when the migrations folder cannot be read, without reading any file. */
export async function requireMigrationsFolder(dirs: Directories): Promise<void> {
  await listSqlFiles(dirs, dirs.migrationsDir, 'migration', true);
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

interface Folder {
  readonly kind: FileKind;
  readonly absoluteDir: string;
  /** The folder as shown to people. */
  readonly shownDir: string;
  readonly names: readonly string[];
}

async function listSqlFiles(dirs: Directories, dir: string, kind: FileKind, required: boolean): Promise<Folder> {
  const absoluteDir = resolve(dirs.cwd, dir);
  let names: string[];
  try {
    names = await readdir(absoluteDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return { kind, absoluteDir, shownDir: '', names: [] };
    const why = code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is not a folder' : readError(error);
    const flag = kind === 'repeatable' ? '--repeatable-dir' : `--${kind}s-dir`;
    throw new PgshiftError('UNREADABLE_FILE', `the ${kind}s folder ${displayPath(dirs.cwd, absoluteDir)} ${why}`, {
      hint: `run pgshift from the project root, or pass ${flag} with the folder that holds the ${kind}s${kind === 'migration' ? ' (pgshift new creates it)' : ''}`,
      cause: error,
    });
  }
  return { kind, absoluteDir, shownDir: displayPath(dirs.cwd, absoluteDir), names: names.filter(isSqlFile) };
}

/**
 * Migration files are small and many: synchronous reads are about five times faster than promise-based
 * ones here (10,000 files: 160 ms against 800 ms). The event loop gets a turn between batches, so a
 * signal is still seen promptly. Paths are joined by hand, once per folder for the shown one: path.join
 * and path.relative cost more than reading a small file, and readdir's names hold no separator.
 */
async function readAll(folders: readonly Folder[]): Promise<Catalog> {
  const catalog = catalogBuilder();
  const readBytes = bytesReader();
  let read = 0;
  for (const { kind, absoluteDir, shownDir, names } of folders) {
    const [absolutePrefix, shownPrefix] = [`${absoluteDir}${sep}`, `${shownDir}/`];
    for (const name of names) {
      if (read++ % READ_BATCH === READ_BATCH - 1) await new Promise((resolve) => setImmediate(resolve));
      const path = shownPrefix + name;
      let bytes: Buffer;
      try {
        bytes = readBytes(absolutePrefix + name);
      } catch (error) {
        // A file that cannot be read (a dangling link, a folder named like a migration) is a problem to list, not a crash.
        catalog.add({ kind, baseName: name, path, content: { unreadable: readError(error) } });
        continue;
      }
      catalog.add({ kind, baseName: name, path, content: contentOf(bytes) });
    }
  }
  return catalog.finish();
}

/**
 * Reads whole files into one buffer, grown to the largest, rather than a new buffer per file: a file's
 * bytes are only decoded and hashed, so each returned view is valid until the next read. No fstat for
 * the size, as readFileSync does: the read that finds the end of the file takes its place.
 */
function bytesReader(): (absolute: string) => Buffer {
  let buffer = Buffer.allocUnsafeSlow(64 * 1024);
  return (absolute) => {
    const fd = openSync(absolute, 'r');
    try {
      let length = 0;
      for (;;) {
        if (length === buffer.length) buffer = Buffer.concat([buffer, Buffer.allocUnsafeSlow(buffer.length)]);
        const read = readSync(fd, buffer, length, buffer.length - length, null);
        if (read === 0) return buffer.subarray(0, length);
        length += read;
      }
    } finally {
      closeSync(fd);
    }
  };
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
  return { kind: file.kind, baseName: basename(file.absolute), path: file.path, content: contentOf(await readFile(file.absolute)) };
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
