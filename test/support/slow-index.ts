/**
 * A project whose second migration builds an index slowly enough to watch: each row costs a millisecond to
 * index (its expression sleeps), 4500 rows about 5 s, scanned block by block (20 blocks), so the server's
 * progress view shows a phase and a percentage that rises. Anything that evaluates the expression again
 * (CLUSTER rebuilding the index, ANALYZE sampling it) is as slow.
 */
export function slowIndex(rows: number) {
  return {
    'migrations/001_table.sql': `CREATE TABLE big (id int, v int);\nINSERT INTO big SELECT g, g FROM generate_series(1, ${rows}) g;\nCREATE FUNCTION slow(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 FROM pg_sleep(0.001)';\n`,
    'migrations/002_index.sql': 'CREATE INDEX ix_big_slow ON big ((slow(v)));\n',
  };
}

export const SLOW_INDEX = slowIndex(4500);
