/** Plain data shared by the planner, the executor, the API and the renderer. */

export type FileKind = 'migration' | 'rollback';

/** What the loader read from disk, before any rule is applied. */
export interface RawFile {
  readonly kind: FileKind;
  readonly baseName: string;
  /** The path shown to people: relative to the working directory where possible. */
  readonly path: string;
  /** The decoded text, or the 1-based line holding the first byte that is not valid UTF-8. */
  readonly content: { readonly text: string } | { readonly invalidUtf8AtLine: number };
}

/** A well-named, readable migration or rollback. */
export interface SqlFile {
  readonly kind: FileKind;
  readonly version: number;
  readonly name: string;
  readonly path: string;
  /** Normalised text (no BOM, LF line ends): what is hashed and what is sent to the server. */
  readonly text: string;
  readonly checksum: string;
}

export interface LedgerRow {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
  readonly appliedAt: Date;
  readonly appliedBy: string;
  readonly executionMs: number;
}

export type MigrationState = 'applied' | 'pending' | 'changed' | 'missing';

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
