/**
 * A project whose second migration builds an index slowly enough to watch: each of 4500 rows costs a
 * millisecond to index, about 5 s in all, scanned block by block (20 blocks), so the server's progress view
 * shows a phase and a percentage that rises.
 */
export const SLOW_INDEX = {
  'migrations/001_table.sql':
    "CREATE TABLE big (id int, v int);\nINSERT INTO big SELECT g, g FROM generate_series(1, 4500) g;\nCREATE FUNCTION slow(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 FROM pg_sleep(0.001)';\n",
  'migrations/002_index.sql': 'CREATE INDEX ix_big_slow ON big ((slow(v)));\n',
} as const;
