/**
 * What `drift` replays to build the schema the migrations describe: every ledger row in the order it was
 * applied (baselined rows too: their files describe the schema), each file exactly as it was run, and a
 * partly applied no-transaction file only as far as it got. Pure: no I/O, no clock, no driver.
 */
import type { Catalog } from './catalog.js';
import { failValidation } from './errors.js';
import { analyzeScript } from './file-analysis.js';
import { ledgerProblems, newestAppliedFirst, resumeProblems, type History } from './ledger-problems.js';
import { lineColumnAt } from './position.js';
import { clusterWideName } from './statement-kinds.js';
import type { ScriptFile, SqlFile } from './types.js';
import type { PlanWords } from './wording.js';

/** Where a scratch schema was built: a scratch database on the target's server, a fresh embedded server, or a server the caller named. */
export type ScratchWhere = 'server' | 'embedded' | 'database';

export interface ReplayStep {
  readonly file: SqlFile;
  /** For a partly applied no-transaction file: how many of its statements ran. Otherwise the whole file. */
  readonly statements?: number;
}

/**
 * Fails with the problems (exit 3) when an applied file changed or is missing: drift is measured against
 * the files that were run, and a changed file no longer says what ran.
 */
export function planReplay(catalog: Catalog, history: History, words: PlanWords): ReplayStep[] {
  const files = new Map(catalog.migrations.map((file) => [file.version, file]));
  const problems = ledgerProblems(catalog, history, { ...words, checkOrder: false });
  for (const row of history.progress) {
    const file = files.get(row.version);
    if (file) problems.push(...resumeProblems(file, analyzeScript(file), row, words));
  }
  if (problems.length > 0) failValidation(problems);
  const applied = newestAppliedFirst(history.ledger).reverse();
  // A partly applied file stops every later one from running, so it is the last thing that ran.
  const partial = [...history.progress].sort((a, b) => a.version - b.version);
  return [
    ...applied.map((row) => ({ file: files.get(row.version) as SqlFile })),
    ...partial.map((row) => ({ file: files.get(row.version) as SqlFile, statements: row.statementHashes.length })),
  ];
}

export interface ServerWideStatement {
  readonly file: ScriptFile;
  readonly line: number;
  /** The statement's kind, as clusterWideName words it: "CREATE ROLE". */
  readonly name: string;
}

/** The first statement of `files` that changes the server as a whole rather than one database. */
export function firstServerWide(files: readonly ScriptFile[]): ServerWideStatement | undefined {
  for (const file of files) {
    for (const statement of analyzeScript(file).statements) {
      const name = clusterWideName(statement.words);
      if (name !== undefined) return { file, line: lineColumnAt(file.text, statement.start).line, name };
    }
  }
  return undefined;
}
