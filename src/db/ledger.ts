/**
 * The ledger table: its name, its shape, and the SQL that reads and writes it. It knows SQL, not rules:
 * what the rows mean is the planner's business.
 */
import { PgshiftError, failValidation } from '../core/errors.js';
import { holdsControlCharacter } from '../core/printable.js';
import { doBlock, quoteIdentifier, quoteLiteral } from '../core/sql-quote.js';
import type { LedgerRow, SqlFile } from '../core/types.js';
import { DEFAULTS } from '../config/defaults.js';
import { ServerError } from './server-error.js';
import type { Session } from './session.js';

export const DEFAULT_TABLE = DEFAULTS.table;

/**
 * Tables pgshift keeps beside the ledger, named after it (`<ledger>_progress`). Every name built from one of
 * these must fit PostgreSQL's identifier limit, or the server truncates it onto another table's name.
 */
export const DERIVED_TABLE_SUFFIXES = { progress: '_progress', repeat: '_repeat' } as const;

/** PostgreSQL's NAMEDATALEN - 1: longer identifiers are silently truncated, in bytes, not characters. */
const MAX_IDENTIFIER_BYTES = 63;
const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

export interface LedgerTable {
  readonly schema: string;
  readonly name: string;
  /** Quoted and schema-qualified: the only form ever spliced into SQL. */
  readonly sql: string;
  /** schema.name as a person reads it. */
  readonly display: string;
  /**
   * The session's server counts each transaction's row changes (track_counts), so the ledger check reads
   * those counts only (ledger-guard.ts); unknown or false, it can also hash the rows.
   */
  readonly countsChanges?: boolean;
  /** The settings the run's session opened with, which the scripts writing to this table state again. */
  readonly settings?: SessionSettings;
}

/**
 * What a session pgshift writes from starts with: --schema's search_path and the pgshift version the ledger
 * rows record. Startup parameters set them for the run itself; every script states them again (in its own
 * transaction, or for the session of a no-transaction file), so psql running a dry run's printed script
 * does what the run does.
 */
export interface SessionSettings {
  readonly schema: string | undefined;
  readonly version: string;
}

export type LedgerState =
  | { readonly exists: false; readonly schemaExists: boolean }
  | { readonly exists: true; readonly rows: readonly LedgerRow[]; readonly columns: LedgerColumns; readonly owned: boolean };

/** The columns later versions of pgshift added to the ledger: a ledger made before them lacks them. */
export interface LedgerColumns {
  /** pgshift_version and git_commit. */
  readonly provenance: boolean;
  /** applied_order: the order rows were written in, which is not version order once a file ran out of order. */
  readonly appliedOrder: boolean;
}

/** What the first write of a run must do to the ledger first: create it, or add the columns it lacks. */
export type LedgerSetup = { readonly schemaExists: boolean } | { readonly add: LedgerColumns };

/**
 * The session setting pgshift_version takes its default from (a connection parameter, and stated again in
 * each script: SessionSettings). git_commit is written by each insert instead: it
 * belongs to the file, not to the run.
 */
export const PROVENANCE_SETTINGS = { version: 'pgshift.version' } as const;

/**
 * `--table` follows SQL's rules for names: `name` or `schema.name`, each part either bare (folded to lower
 * case) or double-quoted (kept as written, "" for a quote). Anything else is refused rather than guessed at.
 * An unqualified name is pinned once, when the run connects, to the schema `schema` the caller found it in
 * (or would create it in), so a migration that changes search_path cannot send the ledger row elsewhere.
 */
export function resolveLedgerTable(option: string, schemaOf: string | null): LedgerTable {
  const parts = checkLedgerName(option);
  const name = parts.at(-1) as string;
  const schema = parts.length === 2 ? (parts[0] as string) : schemaOf;
  if (schema === null) {
    throw new PgshiftError('CONFIG_INVALID', `cannot place the ledger table ${name}: search_path names no existing schema`, {
      hint: 'qualify it, for example --table public.schema_migrations, or fix the role\'s search_path',
    });
  }
  return tableNamed(schema, name);
}

/** A table's names in every form pgshift needs: quoted for SQL, plain for people. */
export function tableNamed(schema: string, name: string): LedgerTable {
  return { schema, name, sql: `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`, display: `${schema}.${name}` };
}

/**
 * Refuses a `--table` whose name, or a table named after it, would not fit 63 bytes: checked before
 * connecting, since the first run would create the ledger and a later one find its progress table
 * truncated onto the same name. Returns the parsed parts.
 */
export function checkLedgerName(option: string): string[] {
  const parts = parseQualifiedName(option);
  for (const part of parts) refuseControlCharacters('--table', option, part);
  const name = parts.at(-1) as string;
  const suffixes = Object.values(DERIVED_TABLE_SUFFIXES);
  const derived = suffixes.map((suffix) => `${name}${suffix}`);
  const tooLong = [...parts, ...derived].find((identifier) => bytes(identifier) > MAX_IDENTIFIER_BYTES);
  if (tooLong !== undefined) {
    const room = MAX_IDENTIFIER_BYTES - Math.max(...suffixes.map(bytes));
    throw new PgshiftError('USAGE', `--table ${JSON.stringify(option)}: ${JSON.stringify(tooLong)} is ${bytes(tooLong)} bytes, over PostgreSQL's limit of ${MAX_IDENTIFIER_BYTES}`, {
      hint: `the ledger's name and the tables named after it (${derived.join(', ')}) must each fit ${MAX_IDENTIFIER_BYTES} bytes: use a table name of at most ${room} bytes`,
    });
  }
  return parts;
}

/** The ledger's table name when `--table` leaves its schema to search_path; undefined when it names one. */
export function unqualifiedName(option: string): string | undefined {
  const parts = checkLedgerName(option);
  return parts.length === 1 ? parts[0] : undefined;
}

/**
 * `--schema` names the schema as written (no folding, no quotes), and is refused before connecting when
 * the server would truncate it to another name or it holds a control character.
 */
export function checkSchemaName(schema: string): void {
  if (schema === '') throw new PgshiftError('USAGE', '--schema is empty', { hint: 'name a schema, for example --schema app, or leave --schema out' });
  refuseControlCharacters('--schema', schema, schema);
  if (/^(pg_|information_schema$)/i.test(schema)) {
    throw new PgshiftError('USAGE', `--schema ${JSON.stringify(schema)} is a system schema`, { hint: 'name a schema of your own: PostgreSQL keeps pg_* and information_schema for itself' });
  }
  if (bytes(schema) > MAX_IDENTIFIER_BYTES) {
    throw new PgshiftError('USAGE', `--schema ${JSON.stringify(schema)} is ${bytes(schema)} bytes, over PostgreSQL's limit of ${MAX_IDENTIFIER_BYTES}`, {
      hint: `PostgreSQL would cut it to its first ${MAX_IDENTIFIER_BYTES} bytes, another schema: use a name of at most ${MAX_IDENTIFIER_BYTES} bytes`,
    });
  }
}

/** A newline or other control character in a name is a pasting accident, and unreadable in every listing. */
function refuseControlCharacters(flag: '--table' | '--schema', option: string, identifier: string): void {
  if (!holdsControlCharacter(identifier)) return;
  throw new PgshiftError('USAGE', `${flag} ${JSON.stringify(option)} holds a control character (a newline, tab or the like)`, {
    hint: `write the name without control characters: ${flag} takes printable characters only`,
  });
}

const BARE = /^[\p{L}_][\p{L}\p{N}_$]*/u;

function parseQualifiedName(option: string): string[] {
  const parts: string[] = [];
  let rest = option;
  for (;;) {
    let part: string;
    if (rest.startsWith('"')) {
      const match = /^"((?:[^"]|"")+)"/.exec(rest);
      if (!match) break;
      part = (match[1] as string).replaceAll('""', '"');
      rest = rest.slice(match[0].length);
    } else {
      const match = BARE.exec(rest);
      if (!match) break;
      part = match[0].replace(/[A-Z]/g, (letter) => letter.toLowerCase());
      rest = rest.slice(match[0].length);
    }
    parts.push(part);
    if (rest === '') return parts.length <= 2 ? parts : invalidTable(option);
    if (!rest.startsWith('.')) break;
    rest = rest.slice(1);
  }
  return invalidTable(option);
}

function invalidTable(option: string): never {
  throw new PgshiftError('USAGE', `--table ${JSON.stringify(option)} is not a table name`, {
    hint: 'use name or schema.name; double-quote a part to keep capitals or other characters, e.g. --table \'"Ops"."Migrations"\'',
  });
}

/** Column name → type OID: bigint, text, timestamptz, integer. A table of any other shape is not ours. */
const COLUMNS: Readonly<Record<string, number>> = {
  version: 20,
  name: 25,
  checksum: 25,
  applied_at: 1184,
  applied_by: 25,
  execution_ms: 23,
};

interface RawRow {
  readonly version: string;
  readonly name: string;
  readonly checksum: string;
  readonly applied_at: Date;
  readonly applied_by: string;
  readonly execution_ms: number;
  readonly pgshift_version?: string | null;
  readonly git_commit?: string | null;
  readonly applied_order?: string | null;
}

/** One round trip when the ledger exists (its shape read from the result's columns); two when it does not yet. */
export async function readLedger(session: Session, table: LedgerTable): Promise<LedgerState> {
  let result;
  try {
    result = await session.query<RawRow>(`SELECT * FROM ${table.sql} ORDER BY version`);
  } catch (error) {
    if (error instanceof ServerError) {
      // PostgreSQL reports a missing schema as a missing relation (42P01) in a SELECT, so ask.
      if (error.fields.sqlState === '42P01' || error.fields.sqlState === '3F000') {
        const { rows } = await session.query<{ exists: boolean }>(
          `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = ${quoteLiteral(table.schema)}) AS exists`,
        );
        return { exists: false, schemaExists: rows[0]?.exists === true };
      }
      if (error.fields.sqlState === '42703') return foreignLedger(session, table);
    }
    throw error;
  }
  const types = new Map(result.columns.map((column) => [column.name, column.type]));
  if (Object.entries(COLUMNS).some(([name, type]) => types.get(name) !== type)) return foreignLedger(session, table);
  const columns = { provenance: types.has('pgshift_version') && types.has('git_commit'), appliedOrder: types.get('applied_order') === 20 };
  const rows = result.rows.map((row) => ({
    version: Number(row.version),
    name: row.name,
    checksum: row.checksum,
    appliedAt: row.applied_at,
    appliedBy: row.applied_by,
    executionMs: row.execution_ms,
    appliedOrder: columns.appliedOrder ? Number(row.applied_order) : 0,
    pgshiftVersion: row.pgshift_version ?? undefined,
    gitCommit: row.git_commit ?? undefined,
  }));
  if (columns.provenance && columns.appliedOrder) return { exists: true, columns, rows, owned: true };
  return { exists: true, columns, rows: columns.appliedOrder ? rows : numberedAsApplied(rows), owned: await owns(session, table) };
}

/**
 * Whether this run's role may add the columns a ledger of an earlier pgshift lacks (ALTER TABLE needs the
 * table's owner): a deploy role with only the rights to read and write rows must go on using it as it is.
 */
async function owns(session: Session, table: LedgerTable): Promise<boolean> {
  const { rows } = await session.query<{ owns: boolean }>(`SELECT pg_has_role(relowner, 'USAGE') AS owns FROM pg_class WHERE oid = ${quoteLiteral(table.sql)}::regclass`);
  return rows[0]?.owns === true;
}

/**
 * A ledger from before applied_order: its rows numbered as the upgrade numbers them (createLedgerSql), by
 * applied_at, then version, since rows applied in one transaction share applied_at and ran in version order.
 */
function numberedAsApplied(rows: readonly LedgerRow[]): LedgerRow[] {
  const order = [...rows].sort((a, b) => a.appliedAt.getTime() - b.appliedAt.getTime() || a.version - b.version);
  const rank = new Map(order.map((row, index) => [row.version, index + 1]));
  return rows.map((row) => ({ ...row, appliedOrder: rank.get(row.version) as number }));
}

async function foreignLedger(session: Session, table: LedgerTable): Promise<never> {
  const { rows } = await session.query<{ column: string; type: string }>(
    `SELECT attname AS column, format_type(atttypid, atttypmod) AS type FROM pg_attribute
      WHERE attrelid = ${quoteLiteral(table.sql)}::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
  );
  const shape = rows.map((row) => `${row.column} ${row.type}`).join(', ');
  return failValidation([
    {
      code: 'FOREIGN_LEDGER',
      message: `${table.display} exists but is not a pgshift ledger (its columns: ${shape})`,
      hint: 'it probably belongs to another migration tool, and pgshift never alters it: keep pgshift\'s ledger elsewhere with --table, for example --table pgshift_migrations',
    },
  ]);
}

/**
 * The ledger's DDL, run inside the first migration's transaction so that it commits with that migration.
 * pgshift_version defaults to a session setting pgshift sets when it connects, so that every way of writing
 * a row (a migration, a no-transaction file's finish, a baseline) records it alike.
 */
export function createLedgerSql(table: LedgerTable, setup: LedgerSetup): string {
  if ('add' in setup) return addColumnsSql(table, setup.add);
  const provenance = `pgshift_version text DEFAULT ${setting(PROVENANCE_SETTINGS.version)},
  git_commit text,
  applied_order bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY`;
  const schema = setup.schemaExists ? '' : `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(table.schema)};\n`;
  return `${schema}CREATE TABLE ${table.sql} (
  version bigint PRIMARY KEY,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  applied_by text NOT NULL DEFAULT current_user,
  execution_ms integer NOT NULL,
  ${provenance}
);
COMMENT ON TABLE ${table.sql} IS 'pgshift ledger: one row per applied migration';
`;
}

const setting = (name: string): string => `nullif(current_setting('${name}', true), '')`;

/**
 * The columns a ledger made by an earlier pgshift lacks. Provenance defaults are set after the columns are
 * added, so that rows written before keep NULL, not today's values. applied_order numbers the rows there
 * are by applied_at, then version (as readLedger does before the upgrade), and its sequence goes on after them.
 */
function addColumnsSql(table: LedgerTable, missing: LedgerColumns): string {
  const provenance = missing.provenance
    ? ''
    : `ALTER TABLE ${table.sql} ADD COLUMN IF NOT EXISTS pgshift_version text, ADD COLUMN IF NOT EXISTS git_commit text;
ALTER TABLE ${table.sql} ALTER COLUMN pgshift_version SET DEFAULT ${setting(PROVENANCE_SETTINGS.version)};
`;
  if (missing.appliedOrder) return provenance;
  return `${provenance}ALTER TABLE ${table.sql} ADD COLUMN applied_order bigint;
UPDATE ${table.sql} AS l SET applied_order = o.n FROM (SELECT version, row_number() OVER (ORDER BY applied_at, version) AS n FROM ${table.sql}) AS o WHERE l.version = o.version;
ALTER TABLE ${table.sql} ALTER COLUMN applied_order SET NOT NULL, ALTER COLUMN applied_order ADD GENERATED BY DEFAULT AS IDENTITY;
${doBlock(`BEGIN PERFORM setval(pg_get_serial_sequence(${quoteLiteral(table.sql)}, 'applied_order'), (SELECT coalesce(max(applied_order), 0) + 1 FROM ${table.sql}), false); END`)}`;
}

/** What insertLedgerRowSql's result row is called, so that a run reports the time its ledger row records. */
export const RECORDED = { version: 'pgshift_recorded_version', ms: 'pgshift_recorded_ms' } as const;

export interface RecordedTime {
  /** A time measured by the caller (a no-transaction file spans many transactions). */
  readonly executionMs?: number | undefined;
  /** Files were recorded earlier in the same transaction (--single-transaction): their times come off this one's. */
  readonly afterOthers?: boolean;
}

/**
 * execution_ms is, by default, the server's own clock from BEGIN to this row, less the times of the rows
 * recorded before it in the same transaction (those whose applied_at, the transaction's start, is now()),
 * so it costs no extra round trip. The row comes back as the statement's result.
 */
export function insertLedgerRowSql(table: LedgerTable, file: SqlFile, time: RecordedTime = {}): string {
  const others = time.afterOthers ? ` - (SELECT coalesce(sum(execution_ms), 0) FROM ${table.sql} WHERE applied_at = now())` : '';
  const ms = time.executionMs === undefined ? `(extract(epoch FROM clock_timestamp() - now()) * 1000${others})::integer` : String(time.executionMs);
  const commit = file.gitCommit === undefined ? 'NULL' : quoteLiteral(file.gitCommit);
  return `INSERT INTO ${table.sql} (version, name, checksum, execution_ms, git_commit) VALUES (${file.version}, ${quoteLiteral(file.name)}, ${quoteLiteral(file.checksum)}, ${ms}, ${commit}) RETURNING version AS ${RECORDED.version}, execution_ms AS ${RECORDED.ms};\n`;
}

export function deleteLedgerRowSql(table: LedgerTable, version: number): string {
  return `DELETE FROM ${table.sql} WHERE version = ${version};\n`;
}
