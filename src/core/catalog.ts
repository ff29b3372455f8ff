import { checksumOf, normalizeText } from './checksum.js';
import type { Problem } from './errors.js';
import { parseFileName } from './naming.js';
import type { RawFile, SqlFile } from './types.js';

/** The migrations and rollbacks on disk, paired by version, with what is wrong with the files themselves. */
export interface Catalog {
  /** Ascending by version; where two files share a version only the first is kept (and a problem says so). */
  readonly migrations: readonly SqlFile[];
  readonly rollbacks: ReadonlyMap<number, SqlFile>;
  readonly problems: readonly Problem[];
}

export function buildCatalog(rawFiles: readonly RawFile[]): Catalog {
  const problems: Problem[] = [];
  const byKind = { migration: new Map<number, SqlFile>(), rollback: new Map<number, SqlFile>() };

  for (const raw of rawFiles) {
    const parsed = parseFileName(raw.baseName);
    if ('error' in parsed) {
      problems.push({
        code: 'BAD_NAME',
        file: raw.path,
        message: `${raw.path}: ${parsed.error}`,
        hint: 'rename it like 002_add_orders.sql; files not ending in .sql are ignored, so a typo is never skipped silently',
      });
      continue;
    }
    if ('unreadable' in raw.content) {
      problems.push({
        code: 'UNREADABLE_FILE',
        file: raw.path,
        version: parsed.version,
        message: `${raw.path} ${raw.content.unreadable}`,
        hint: `every *.sql entry in the ${raw.kind}s folder must be a readable file: fix or remove it`,
      });
      continue;
    }
    if ('invalidUtf8AtLine' in raw.content) {
      problems.push({
        code: 'INVALID_ENCODING',
        file: raw.path,
        version: parsed.version,
        line: raw.content.invalidUtf8AtLine,
        message: `${raw.path}:${raw.content.invalidUtf8AtLine}: the file is not valid UTF-8`,
        hint: 'save the file as UTF-8 (for example: iconv -f latin1 -t utf-8)',
      });
      continue;
    }
    const text = normalizeText(raw.content.text);
    const file: SqlFile = { kind: raw.kind, ...parsed, path: raw.path, text, checksum: checksumOf(text) };
    const seen = byKind[raw.kind].get(file.version);
    if (seen) {
      problems.push({
        code: 'DUPLICATE_VERSION',
        file: file.path,
        version: file.version,
        message: `${seen.path} and ${file.path} both have version ${file.version}`,
        hint: 'give one of them the next free number',
      });
      continue;
    }
    byKind[raw.kind].set(file.version, file);
  }

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
  return { migrations, rollbacks: byKind.rollback, problems };
}
