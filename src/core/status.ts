/** What `status` shows: every migration file and every ledger or progress row, one entry per version. */
import type { Catalog } from './catalog.js';
import { byVersion, outOfOrderFiles, type History } from './ledger-problems.js';
import type { ProgressRow, StatusEntry } from './types.js';

export function statusOf(catalog: Catalog, { ledger, progress }: History): StatusEntry[] {
  const rows = byVersion(ledger);
  const partial = byVersion(progress);
  const late = new Set(outOfOrderFiles(catalog, { ledger, progress }));
  const entries: StatusEntry[] = catalog.migrations.map((file) => {
    const row = rows.get(file.version);
    const started = partial.get(file.version);
    rows.delete(file.version);
    partial.delete(file.version);
    const entry: StatusEntry = {
      version: file.version,
      name: file.name,
      state: row ? (row.checksum === file.checksum ? 'applied' : 'changed') : started ? 'partial' : 'pending',
      path: file.path,
      appliedAt: row?.appliedAt,
      executionMs: row?.executionMs,
      checksum: row?.checksum ?? file.checksum,
      hasRollback: catalog.rollbacks.has(file.version),
      pgshiftVersion: row?.pgshiftVersion,
      gitCommit: row?.gitCommit,
    };
    // Only a partly applied file has progress: defined() per entry would build two objects and an array for each file.
    if (started && !row) return { ...entry, progress: progressOf(started) };
    return late.has(file) && !started ? { ...entry, outOfOrder: true } : entry;
  });
  for (const started of partial.values()) {
    if (rows.has(started.version)) continue;
    entries.push({
      version: started.version,
      name: started.name,
      state: 'missing',
      path: undefined,
      appliedAt: undefined,
      executionMs: undefined,
      checksum: '',
      hasRollback: catalog.rollbacks.has(started.version),
      progress: progressOf(started),
    });
  }
  for (const row of rows.values()) {
    entries.push({
      version: row.version,
      name: row.name,
      state: 'missing',
      path: undefined,
      appliedAt: row.appliedAt,
      executionMs: row.executionMs,
      checksum: row.checksum,
      hasRollback: catalog.rollbacks.has(row.version),
      pgshiftVersion: row.pgshiftVersion,
      gitCommit: row.gitCommit,
    });
  }
  return entries.sort((a, b) => a.version - b.version);
}

function progressOf(row: ProgressRow): NonNullable<StatusEntry['progress']> {
  return { done: row.statementHashes.length, total: row.statementCount, error: row.lastError };
}
