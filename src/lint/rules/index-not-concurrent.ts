import { bad, defineRule, good } from '../rule.js';

export const rule = defineRule({
  id: 'index-not-concurrent',
  severity: 'warning',
  catches: 'CREATE INDEX or DROP INDEX without CONCURRENTLY on an existing table',
  why: 'it takes a SHARE (create) or ACCESS EXCLUSIVE (drop) lock: writes to the table wait until it ends',
  safe: 'CREATE INDEX CONCURRENTLY / DROP INDEX CONCURRENTLY in a file of its own with -- pgshift:no-transaction',
  examples: [
    bad('CREATE INDEX IF NOT EXISTS ix_o ON orders (note);'),
    bad('DROP INDEX IF EXISTS ix_o;'),
    good('-- pgshift:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS ix_o ON orders (note);'),
    good('-- pgshift:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS ix_o;'),
    good("CREATE TABLE IF NOT EXISTS items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, sku text);\nCOMMENT ON TABLE items IS 'x';\nCREATE INDEX IF NOT EXISTS ix_sku ON items (sku);"),
  ],
  visitor: ({ existing, report }) => ({
    index: ({ statement, table, concurrent }) => {
      if (!concurrent && existing(table)) report(statement, `CREATE INDEX on existing table ${table} without CONCURRENTLY`);
    },
    // The index's table is not in the statement, so it counts as existing.
    drop: ({ statement, object, concurrent }) => {
      if (object === 'index' && !concurrent) report(statement, 'DROP INDEX without CONCURRENTLY');
    },
  }),
});
