/**
 * The history a pull request is reviewed against with `--base-ref`: every migration file the base commit
 * has counts as applied, with the checksum it had there, so the files added since are the pending ones, a
 * file edited since is a changed applied migration, and a file deleted since is a missing one, exactly as
 * a database migrated from the base commit would report them. Pure: the caller reads git.
 */
import { basename } from 'node:path';
import type { Catalog } from './catalog.js';
import { contentOf } from './checksum.js';
import type { History } from './ledger-problems.js';
import { parseFileName } from './naming.js';
import type { LedgerRow } from './types.js';

/** The migration files as a git commit has them: their names in the folder, and the text of those changed since. */
export interface FilesAtRef {
  /** The `*.sql` names the folder held at the commit. */
  readonly names: ReadonlySet<string>;
  /** For names whose file differs now from the commit's: the commit's bytes. */
  readonly before: ReadonlyMap<string, Buffer>;
}

const NEVER = new Date(0);

export function historyAtRef(catalog: Catalog, atRef: FilesAtRef): History {
  const now = new Map(catalog.migrations.map((file) => [basename(file.path), file]));
  const ledger: LedgerRow[] = [];
  for (const name of atRef.names) {
    const parsed = parseFileName(name);
    if ('error' in parsed) continue;
    const before = atRef.before.get(name);
    const content = before === undefined ? undefined : contentOf(before);
    const checksum = content !== undefined && 'checksum' in content ? content.checksum : now.get(name)?.checksum ?? '';
    ledger.push({ ...parsed, checksum, appliedAt: NEVER, appliedBy: 'base', executionMs: 0, appliedOrder: parsed.version });
  }
  return { ledger, progress: [] };
}
