/** What a run left in the database, read directly rather than through pgshift, so a test does not trust what it checks. */
import type postgres from 'postgres';

export async function tableExists(sql: postgres.Sql, name: string): Promise<boolean> {
  const [{ exists }] = await sql<[{ exists: boolean }]>`SELECT to_regclass(${name}) IS NOT NULL AS exists`;
  return exists;
}

/** The versions in a ledger, ascending; none when the ledger table does not exist (yet). */
export async function ledgerVersions(sql: postgres.Sql, table = 'schema_migrations'): Promise<number[]> {
  if (!(await tableExists(sql, table))) return [];
  const rows = await sql<Array<{ version: number }>>`SELECT version::int AS version FROM ${sql(table)} ORDER BY version`;
  return rows.map((row) => row.version);
}
