/**
 * A schema snapshot: every user object the catalog knows, as structured entries (src/core/snapshot-entry.ts),
 * so that two snapshots compare field by field. Left out: pgshift's own ledger and progress tables (they
 * change on purpose) and whatever belongs to an extension, which is compared as its name, version and schema.
 */
import { defined } from '../core/defined.js';
import { entryKey, type Snapshot, type SnapshotEntry } from '../core/snapshot-entry.js';
import { quoteLiteral } from '../core/sql-quote.js';
import type { LedgerTable } from './ledger.js';
import { progressTable } from './progress.js';
import { repeatTable } from './repeat-table.js';
import type { Session } from './session.js';
import { snapshotSql } from './snapshot-sql.js';

export type { Snapshot, SnapshotEntry } from '../core/snapshot-entry.js';

export interface SnapshotOptions {
  /** Only these schemas; undefined: every schema but the system's. */
  readonly schemas?: readonly string[];
}

interface Row {
  readonly kind: string;
  readonly name: string | null;
  readonly grp: string | null;
  /** NULL for an object compared through its parent but with a comment or grants of its own: a view's column. */
  readonly fields: string | null;
  readonly cosmetic: string | null;
  readonly repair: string | null;
  readonly owner: string | null;
  readonly acl: string | null;
  readonly ident: string;
}

/**
 * What definitions are printed under, the same for every snapshot: schema-qualified names whatever a
 * database's search_path, and defaults and literals in ISO dates and UTC (a date in DMY or a time in a
 * zone whose abbreviation is ambiguous, IST, would read differently to whoever runs a repair).
 */
const PRINTED_UNDER: Readonly<Record<string, string>> = { search_path: 'pg_catalog', DateStyle: 'ISO, YMD', TimeZone: 'UTC', IntervalStyle: 'postgres' };

/**
 * Works outside a transaction and inside an open one, and leaves the session's settings as it found them:
 * the query runs under PRINTED_UNDER, set for the one message that holds it (an implicit transaction when
 * none is open) and set back at its end (when one is, as in verify).
 */
export async function takeSnapshot(session: Session, ledger: LedgerTable, options: SnapshotOptions = {}): Promise<Snapshot> {
  const names = Object.keys(PRINTED_UNDER);
  const { rows: [current] } = await session.query<Record<string, string>>(
    `SELECT ${names.map((name, index) => `current_setting(${quoteLiteral(name)}) AS s${index}`).join(', ')}`,
  );
  const setAll = (value: (name: string, index: number) => string): string =>
    `SELECT ${names.map((name, index) => `set_config(${quoteLiteral(name)}, ${quoteLiteral(value(name, index))}, true)`).join(', ')} AS pgshift_settings;`;
  const sql = snapshotSql({
    skippedTables: [ledger.sql, progressTable(ledger).sql, repeatTable(ledger).sql].map(quoteLiteral),
    schemas: options.schemas?.map(quoteLiteral),
  });
  const rows: Row[] = [];
  await session.execute(`${setAll((name) => PRINTED_UNDER[name] as string)}\n${sql};\n${setAll((_, index) => current?.[`s${index}`] ?? '')}`, (row) => {
    if ('kind' in row) rows.push(row as unknown as Row);
  });
  return snapshotOf(rows);
}

function snapshotOf(rows: readonly Row[]): Snapshot {
  const snapshot = new Map<string, SnapshotEntry>();
  const byIdent = new Map<string, SnapshotEntry>();
  const comments: Row[] = [];
  for (const row of rows) {
    if (row.name === null || row.grp === null) {
      comments.push(row);
      continue;
    }
    const entry: SnapshotEntry = {
      kind: row.kind,
      name: row.name,
      group: row.grp,
      fields: parse(row.fields),
      ...defined({ cosmetic: row.cosmetic === null ? undefined : parse(row.cosmetic), repair: row.repair === null ? undefined : parse(row.repair) }),
    };
    if (row.fields !== null) add(snapshot, entry);
    byIdent.set(row.ident, entry);
    if (row.owner !== null || row.acl !== null) add(snapshot, privilegesOf(entry, row));
  }
  for (const row of comments) {
    const target = byIdent.get(row.ident);
    // A comment on something the snapshot leaves out (pgshift's ledger, an extension's object) is left out too.
    if (target) add(snapshot, commentOn(target, parse(row.fields)['text'] ?? ''));
  }
  return snapshot;
}

function add(snapshot: Map<string, SnapshotEntry>, entry: SnapshotEntry): void {
  snapshot.set(entryKey(entry.kind, entry.name), entry);
}

function privilegesOf(entry: SnapshotEntry, row: Row): SnapshotEntry {
  const fields = defined({ owner: row.owner ?? undefined, grants: row.acl ?? undefined });
  return { kind: 'privileges', name: entryKey(entry.kind, entry.name), group: entry.group, fields, privileges: true };
}

function commentOn(target: SnapshotEntry, text: string): SnapshotEntry {
  const repair = defined({ target: target.repair?.['comment'] });
  return { kind: 'comment', name: entryKey(target.kind, target.name), group: target.group, fields: { text }, repair };
}

function parse(json: string | null): Record<string, string> {
  return json === null ? {} : (JSON.parse(json) as Record<string, string>);
}
