/**
 * A project whose second migration builds an index slowly enough to watch: each of 3000 rows costs a
 * millisecond to index, about 3 s in all, scanned block by block (14 blocks), so the server's progress view
 * shows a phase and a percentage that rises.
 */
export const SLOW_INDEX = {
  'migrations/001_table.sql':
    "CREATE TABLE big (id int, v int);\nINSERT INTO big SELECT g, g FROM generate_series(1, 3000) g;\nCREATE FUNCTION slow(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 FROM pg_sleep(0.001)';\n",
  'migrations/002_index.sql': 'CREATE INDEX ix_big_slow ON big ((slow(v)));\n',
} as const;
