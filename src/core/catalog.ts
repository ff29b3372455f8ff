import type { Problem } from './errors.js';
import { parseFileName, parseRepeatableName } from './naming.js';
import type { FileContent, RawFile, RepeatableFile, SqlFile, VersionedKind } from './types.js';

/** The migrations and rollbacks on disk, paired by version, and the repeatable files, with what is wrong with the files themselves. */
export interface Catalog {
  /** Ascending by version; where two files share a version only the first is kept (and a problem says so). */
  readonly migrations: readonly SqlFile[];
  readonly rollbacks: ReadonlyMap<number, SqlFile>;
  /** By name, in the order they run (code-point order, the same on every machine). */
  readonly repeatables: readonly RepeatableFile[];
  readonly problems: readonly Problem[];
}

export function buildCatalog(rawFiles: Iterable<RawFile>): Catalog {
  const builder = catalogBuilder();
  for (const raw of rawFiles) builder.add(raw);
  return builder.finish();
}

export interface CatalogBuilder {
  add(raw: RawFile): void;
  finish(): Catalog;
}

/**
 * buildCatalog a file at a time, so that a loader keeps no file but the one it has just read: with 10,000
 * migrations, objects held until the last file is read are copied by every garbage collection meanwhile.
 */
export function catalogBuilder(): CatalogBuilder {
  const problems: Problem[] = [];
  const byKind = { migration: new Map<number, SqlFile>(), rollback: new Map<number, SqlFile>() };
  const repeatables = new Map<string, RepeatableFile>();
  return {
    add: (raw) => {
      const problem = raw.kind === 'repeatable' ? repeatableProblem(raw, repeatables) : fileProblem(raw, raw.kind, byKind[raw.kind]);
      if (problem) problems.push(problem);
    },
    finish: () => {
      for (const rollback of byKind.rollback.values()) {
        if (!byKind.migration.has(rollback.version)) {
          problems.push({
            code: 'ORPHAN_ROLLBACK',
            file: rollback.path,
            version: rollback.version,
            message: `${rollback.path} has no migration with version ${rollback.version}`,
            hint: 'rename it to the version of the migration it reverses, or delete it',
          });
        }
      }
      const migrations = [...byKind.migration.values()].sort((a, b) => a.version - b.version);
      const ordered = [...repeatables.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return { migrations, rollbacks: byKind.rollback, repeatables: ordered, problems };
    },
  };
}

/** Adds a file to the files of its kind, or says what is wrong with it. */
function fileProblem(raw: RawFile, kind: VersionedKind, files: Map<number, SqlFile>): Problem | undefined {
  const parsed = parseFileName(raw.baseName);
  if ('error' in parsed) return badName(raw, parsed.error, 'rename it like 002_add_orders.sql');
  const unusable = contentProblem(raw, parsed.version);
  if (unusable) return unusable;
  const { version, name } = parsed;
  const seen = files.get(version);
  if (seen) {
    return {
      code: 'DUPLICATE_VERSION',
      file: raw.path,
      version,
      message: `${seen.path} and ${raw.path} both have version ${version}`,
      hint: 'give one of them the next free number',
    };
  }
  const { text, checksum } = raw.content as Readable;
  files.set(version, { kind, version, name, path: raw.path, text, checksum });
  return undefined;
}

/** Adds a repeatable file, or says what is wrong with it. Its name is its identity, and file systems keep names unique. */
function repeatableProblem(raw: RawFile, files: Map<string, RepeatableFile>): Problem | undefined {
  const parsed = parseRepeatableName(raw.baseName);
  if ('error' in parsed) return badName(raw, parsed.error, 'rename it like v_order_totals.sql');
  const unusable = contentProblem(raw);
  if (unusable) return unusable;
  const { text, checksum } = raw.content as Readable;
  files.set(parsed.name, { kind: 'repeatable', name: parsed.name, path: raw.path, text, checksum });
  return undefined;
}

type Readable = Extract<FileContent, { readonly text: string }>;

function badName(raw: RawFile, error: string, rename: string): Problem {
  return {
    code: 'BAD_NAME',
    file: raw.path,
    message: `${raw.path}: ${error}`,
    hint: `${rename}; files not ending in .sql are ignored, so a typo is never skipped silently`,
  };
}

/** A file that could not be read, or not as UTF-8. */
function contentProblem(raw: RawFile, version?: number): Problem | undefined {
  const at = version === undefined ? {} : { version };
  if ('unreadable' in raw.content) {
    return {
      code: 'UNREADABLE_FILE',
      file: raw.path,
      ...at,
      message: `${raw.path} ${raw.content.unreadable}`,
      hint: `every *.sql entry in the ${raw.kind}s folder must be a readable file: fix or remove it`,
    };
  }
  if ('invalidUtf8AtLine' in raw.content) {
    return {
      code: 'INVALID_ENCODING',
      file: raw.path,
      ...at,
      line: raw.content.invalidUtf8AtLine,
      message: `${raw.path}:${raw.content.invalidUtf8AtLine}: the file is not valid UTF-8`,
      hint: 'save the file as UTF-8 (for example: iconv -f latin1 -t utf-8)',
    };
  }
  return undefined;
}
