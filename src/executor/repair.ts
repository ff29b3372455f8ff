/**
 * `repair`: records the current checksums of applied migration files whose text changed since they were
 * applied, so that an edit of a comment no longer blocks `up`, `down` and `validate` (Flyway's repair). It
 * says what changed where it can know: the file as applied comes from git at the commit the ledger recorded,
 * and is trusted only if it hashes to the recorded checksum. A change in more than comments and whitespace,
 * or one it cannot see, is recorded only with `force`.
 */
import { resolve } from 'node:path';
import type { Catalog } from '../core/catalog.js';
import { checksumOf, normalizeText } from '../core/checksum.js';
import { defined } from '../core/defined.js';
import { failValidation, PgshiftError, type Problem } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { sqlTokens } from '../core/sql-lexer.js';
import type { LedgerRow, SqlFile } from '../core/types.js';
import { recordChecksumsSql } from '../db/ledger-repair.js';
import { readLedger, type LedgerTable } from '../db/ledger.js';
import { lockKey, lockSql } from '../db/lock.js';
import { ServerError } from '../db/server-error.js';
import type { Session } from '../db/session.js';
import { diffSinceCommit, fileAtCommit } from '../io/git-history.js';

export interface RepairOptions {
  /** Record also changes beyond comments and whitespace, and changes whose applied text is unknown. */
  readonly force?: boolean;
  /** Find and describe the changes, return the SQL that would record them, and change nothing. */
  readonly dryRun?: boolean;
}

/** What changed in an applied file: only comments and whitespace, its statements, or unknown. */
export type RepairKind = 'comments and whitespace' | 'statements' | 'unknown';

export interface RepairChange {
  readonly version: number;
  readonly name: string;
  readonly path: string;
  readonly recordedChecksum: string;
  readonly currentChecksum: string;
  readonly kind: RepairKind;
  /** The commit the applied text was read from, when it could be. */
  readonly appliedCommit?: string;
  /** Why the applied text is unknown, for kind `unknown`. */
  readonly unknownBecause?: string;
  /** git's diff from the file as applied to the file now, when the applied text is known. */
  readonly diff?: string;
  /** Recording it needs `force`. */
  readonly needsForce: boolean;
}

export interface RepairResult {
  readonly changes: readonly RepairChange[];
  /** True when the checksums were written; false for a dry run or when nothing changed. */
  readonly recorded: boolean;
  /** The SQL that records them: what was sent, or for a dry run what would be (a psql script). */
  readonly sql: string;
}

export interface RepairContext {
  readonly session: Session;
  readonly table: LedgerTable;
  readonly logger: Logger;
  /** Where the catalog's relative paths start. */
  readonly cwd: string;
}

export async function repairLedger(context: RepairContext, catalog: Catalog, options: RepairOptions): Promise<RepairResult> {
  if (catalog.problems.length > 0) failValidation(catalog.problems);
  const { session, table, logger } = context;
  const ledger = await readLedger(session, table);
  const rows = ledger.exists ? ledger.rows : [];
  const files = new Map(catalog.migrations.map((file) => [file.version, file]));
  const changes: RepairChange[] = [];
  for (const row of rows) {
    const file = files.get(row.version);
    if (file && file.checksum !== row.checksum) changes.push(await describeChange(context.cwd, file, row));
  }
  const updates = changes.map((change) => ({
    version: change.version,
    recorded: change.recordedChecksum,
    current: change.currentChecksum,
    commit: files.get(change.version)?.gitCommit,
  }));
  const sql = recordChecksumsSql(table, updates, ledger.exists && ledger.columns.provenance);
  if (options.dryRun) {
    const key = lockKey(table);
    return { changes, recorded: false, sql: sql === '' ? '' : `${lockSql(key, true)}${sql}${lockSql(key, false)}` };
  }
  const refused = options.force ? [] : changes.filter((change) => change.needsForce);
  if (refused.length > 0) throw refusal(refused);
  if (changes.length === 0) return { changes, recorded: false, sql };
  try {
    await session.execute(sql);
  } catch (error) {
    if (!(error instanceof ServerError)) throw error;
    await session.rollback();
    throw new PgshiftError('MIGRATION_FAILED', `repair: recording the checksums in ${table.display} failed: ${error.message}`, {
      hint: 'its transaction was rolled back: no ledger row changed',
      cause: error,
    });
  }
  for (const change of changes) {
    logger.info(`repair: recorded the current checksum of ${change.path} (${change.kind} changed)`, {
      version: change.version,
      from: change.recordedChecksum,
      to: change.currentChecksum,
    });
  }
  return { changes, recorded: true, sql };
}

/** Compares the file with its applied text where git has it, else says why it cannot. */
async function describeChange(cwd: string, file: SqlFile, row: LedgerRow): Promise<RepairChange> {
  const base = { version: file.version, name: file.name, path: file.path, recordedChecksum: row.checksum, currentChecksum: file.checksum };
  const unknown = (because: string): RepairChange => ({ ...base, kind: 'unknown', unknownBecause: because, needsForce: true });
  const commit = row.gitCommit;
  if (commit === undefined || commit === '') return unknown('no git commit was recorded when it was applied');
  if (commit.endsWith('+dirty')) return unknown(`it was applied from a modified copy of commit ${commit.slice(0, -'+dirty'.length)}`);
  const path = resolve(cwd, file.path);
  const applied = await fileAtCommit(path, commit);
  if (applied === undefined) return unknown(`git here has no ${file.path} at commit ${commit}`);
  const appliedText = normalizeText(applied);
  if (checksumOf(appliedText) !== row.checksum) return unknown(`the file at commit ${commit} is not the text that was applied (its checksum differs)`);
  const same = sameTokens(appliedText, file.text);
  const diff = await diffSinceCommit(path, commit);
  return {
    ...base,
    kind: same ? 'comments and whitespace' : 'statements',
    appliedCommit: commit,
    ...defined({ diff }),
    needsForce: !same,
  };
}

function sameTokens(a: string, b: string): boolean {
  const left = sqlTokens(a);
  const right = sqlTokens(b);
  return left.length === right.length && left.every((token, index) => token === right[index]);
}

function refusal(refused: readonly RepairChange[]): PgshiftError {
  const problems: Problem[] = refused.map((change) => ({
    code: 'CHECKSUM_MISMATCH',
    file: change.path,
    version: change.version,
    message:
      change.kind === 'statements'
        ? `${change.path}: changed in more than comments and whitespace since it was applied (compared with commit ${change.appliedCommit})`
        : `${change.path}: the text it was applied with is unknown (${change.unknownBecause}); recorded checksum ${change.recordedChecksum.slice(0, 12)}…, file now ${change.currentChecksum.slice(0, 12)}…`,
    hint:
      change.kind === 'statements'
        ? `see the change with git diff ${change.appliedCommit} -- ${change.path}; if the database already matches the file, record it with pgshift repair --force, else restore the file and put the change in a new migration`
        : 'compare the file with what the database has; if they match, record it with pgshift repair --force',
  }));
  const [only] = problems;
  return new PgshiftError(
    'REPAIR_REFUSED',
    problems.length === 1 && only ? `repair refused: ${only.message}` : `repair refused: ${problems.length} applied migrations changed in ways that need --force`,
    {
      hint: `${problems.length === 1 && only ? `${only.hint}. ` : ''}nothing was recorded; pgshift repair --dry-run shows every change, pgshift repair --force records them all`,
      problems,
    },
  );
}
