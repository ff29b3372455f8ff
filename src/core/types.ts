/** Plain data shared by the planner, the executor, the API and the renderer. */

/** Numbered files (a migration and its rollback share a version), and repeatable files, known by name. */
export type VersionedKind = 'migration' | 'rollback';
export type FileKind = VersionedKind | 'repeatable';

/** What the loader read from disk, before any rule is applied. */
export interface RawFile {
  readonly kind: FileKind;
  readonly baseName: string;
  /** The path shown to people: relative to the working directory where possible. */
  readonly path: string;
  /** What was read, or why it could not be read. */
  readonly content: FileContent | { readonly unreadable: string };
}

/** A file's normalised text (no BOM, LF line ends) and its checksum, or the 1-based line holding its first byte that is not UTF-8. */
export type FileContent = { readonly text: string; readonly checksum: string } | { readonly invalidUtf8AtLine: number };

/** A well-named, readable SQL file of any kind: what the checks, the parser and lint read. */
export interface ScriptFile {
  readonly kind: FileKind;
  readonly name: string;
  readonly path: string;
  /** Normalised text (no BOM, LF line ends): what is hashed and what is sent to the server. */
  readonly text: string;
  readonly checksum: string;
  /** For a file about to be recorded: the commit its row names (`<sha>` or `<sha>+dirty`). */
  readonly gitCommit?: string;
}

/** A well-named, readable migration or rollback. */
export interface SqlFile extends ScriptFile {
  readonly kind: VersionedKind;
  readonly version: number;
}

/**
 * A repeatable file (`repeatable/NAME.sql`): a view, function, trigger or grant written whole, applied again
 * whenever its text changes, after the migrations of the run. Known by its name, which orders it.
 */
export interface RepeatableFile extends ScriptFile {
  readonly kind: 'repeatable';
}

export interface LedgerRow {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
  readonly appliedAt: Date;
  readonly appliedBy: string;
  readonly executionMs: number;
  /**
   * Where the row stands in the order rows were written: `down` reverts newest first. It follows version
   * order except where a file was applied out of order.
   */
  readonly appliedOrder: number;
  /** The pgshift version and git commit of the migrations that applied it, where recorded. */
  readonly pgshiftVersion?: string | undefined;
  readonly gitCommit?: string | undefined;
}

/**
 * Progress of a no-transaction migration that has not finished: the statements it has run so far. It is
 * not in the ledger (the ledger holds finished migrations only) but in the ledger's progress table.
 */
export interface ProgressRow {
  readonly version: number;
  readonly name: string;
  /** Hashes of the statements completed, in order. */
  readonly statementHashes: readonly string[];
  readonly statementCount: number;
  /**
   * The 0-based statement that was started outside a transaction and not yet recorded as done: after a
   * crash it may or may not have completed.
   */
  readonly runningStatement: number | undefined;
  /** The index that running statement creates, schema-qualified, recorded only if it did not exist before. */
  readonly createdIndex: string | undefined;
  readonly lastError: string | undefined;
  readonly updatedAt: Date;
}

export type MigrationState = 'applied' | 'pending' | 'changed' | 'missing' | 'partial';

export interface StatusEntry {
  readonly version: number;
  readonly name: string;
  readonly state: MigrationState;
  /** The migration file, when there is one. */
  readonly path: string | undefined;
  readonly appliedAt: Date | undefined;
  readonly executionMs: number | undefined;
  /** The ledger's checksum for applied versions, the file's for pending ones. */
  readonly checksum: string;
  readonly hasRollback: boolean;
  /** A pending file below the highest applied version: only `up` with out-of-order files allowed applies it. */
  readonly outOfOrder?: boolean;
  readonly pgshiftVersion?: string | undefined;
  readonly gitCommit?: string | undefined;
  /** For `partial`: statements done, statements in the file, and the last error. */
  readonly progress?: { readonly done: number; readonly total: number; readonly error: string | undefined };
}

/** One migration applied or reverted by a run. */
export interface MigrationResult {
  readonly direction: 'up' | 'down';
  readonly version: number;
  readonly name: string;
  readonly path: string;
  /** Wall time measured by pgshift around the migration's transaction. */
  readonly durationMs: number;
}

/** One repeatable file applied by a run. */
export interface RepeatableResult {
  readonly name: string;
  readonly path: string;
  /** Wall time measured by pgshift around the file's transaction. */
  readonly durationMs: number;
}

/**
 * How runs exclude each other. `session`: one session advisory lock for the whole run. `transaction`: a
 * transaction-level lock inside each migration's transaction, for transaction-mode poolers.
 */
export type LockScope = 'session' | 'transaction';

/** The commands a many-database run takes targets for. */
export const MANY_COMMANDS = ['up', 'down', 'status', 'validate', 'drift'] as const;
export type ManyCommand = (typeof MANY_COMMANDS)[number];
