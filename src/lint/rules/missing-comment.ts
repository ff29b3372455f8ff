import { bad, defineRule, good } from '../rule.js';

export const rule = defineRule({
  id: 'missing-comment',
  severity: 'warning',
  catches: 'a new table, or a column added to an existing table, with no COMMENT ON in the same file',
  why: "the team's rule: document changes with comments",
  safe: "COMMENT ON TABLE ... IS '...'; COMMENT ON COLUMN ... IS '...'",
  examples: [
    bad('CREATE TABLE IF NOT EXISTS items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);'),
    bad('ALTER TABLE orders ADD COLUMN IF NOT EXISTS state text;'),
    good("CREATE TABLE IF NOT EXISTS items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);\nCOMMENT ON TABLE items IS 'x';"),
    good("ALTER TABLE orders ADD COLUMN IF NOT EXISTS state text;\nCOMMENT ON COLUMN orders.state IS 'x';"),
  ],
  visitor: ({ migration, report }) => {
    const commented = new Set<string>();
    const tables: Array<{ table: string; statement: number }> = [];
    const columns: Array<{ table: string; column: string; statement: number }> = [];
    // A comment may come after the statement it documents, so the file is judged at its end.
    return {
      createTable: ({ statement, table }) => void tables.push({ table, statement }),
      addColumn: ({ statement, table, name }) => void columns.push({ table, column: name, statement }),
      comment: ({ target }) => void commented.add(target),
      end: () => {
        if (!migration) return;
        for (const { table, statement } of tables) if (!commented.has(table)) report(statement, `new table ${table} has no COMMENT ON TABLE`);
        for (const { table, column, statement } of columns) {
          if (!commented.has(`${table}.${column.toLowerCase()}`)) report(statement, `new column ${table}.${column} has no COMMENT ON COLUMN`);
        }
      },
    };
  },
});
