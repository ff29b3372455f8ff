/**
 * What a run applies after its migrations, and what `status` shows of the repeatable files: each file whose
 * text differs from the text it was last applied with (or that never was), in name order. Pure.
 */
import type { Catalog } from './catalog.js';
import type { Problem } from './errors.js';
import { analyzeScript, type ScriptAnalysis } from './file-analysis.js';
import type { RepeatableFile } from './types.js';

/** What the table of repeatable files records of one: the checksum it last ran with, when, and how long it took. */
export interface RepeatRecord {
  readonly name: string;
  readonly checksum: string;
  readonly appliedAt: Date;
  readonly executionMs: number;
}

export interface PlannedRepeatable {
  readonly file: RepeatableFile;
  readonly analysis: ScriptAnalysis;
}

export function planRepeatables(catalog: Catalog, records: readonly RepeatRecord[]): { planned: PlannedRepeatable[]; problems: Problem[] } {
  const last = new Map(records.map((record) => [record.name, record.checksum]));
  const problems: Problem[] = [];
  const planned = catalog.repeatables
    .filter((file) => last.get(file.name) !== file.checksum)
    .map((file) => {
      const analysis = analyzeScript(file);
      problems.push(...analysis.problems);
      if (!analysis.directives.transaction) {
        problems.push({
          code: 'REPEATABLE_NO_TRANSACTION',
          file: file.path,
          message: `${file.path} is marked -- pgshift:no-transaction, but a repeatable file runs in one transaction with its row`,
          hint: 'take the directive out; a statement that cannot run in a transaction (CREATE INDEX CONCURRENTLY) belongs in a numbered migration',
        });
      }
      return { file, analysis };
    });
  return { planned, problems };
}

export type RepeatableState = 'applied' | 'pending' | 'changed' | 'missing';

/** A repeatable file as `status` shows it. */
export interface RepeatableEntry {
  readonly name: string;
  readonly state: RepeatableState;
  /** The file, when there is one (`missing`: it was applied, and is gone). */
  readonly path: string | undefined;
  readonly appliedAt: Date | undefined;
  readonly executionMs: number | undefined;
}

export function repeatableStatus(catalog: Catalog, records: readonly RepeatRecord[]): RepeatableEntry[] {
  const byName = new Map(records.map((record) => [record.name, record]));
  const entries: RepeatableEntry[] = catalog.repeatables.map((file) => {
    const record = byName.get(file.name);
    byName.delete(file.name);
    const state = record === undefined ? 'pending' : record.checksum === file.checksum ? 'applied' : 'changed';
    return { name: file.name, state, path: file.path, appliedAt: record?.appliedAt, executionMs: record?.executionMs };
  });
  for (const record of byName.values()) {
    entries.push({ name: record.name, state: 'missing', path: undefined, appliedAt: record.appliedAt, executionMs: record.executionMs });
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
