import { hasConstraint, names, type Node } from '../ast.js';
import { bad, defineRule, good } from '../rule.js';

export const rule = defineRule({
  id: 'foreign-key-index',
  severity: 'warning',
  catches: 'a new foreign key whose columns lead no index created in the same file',
  why: "the team's rule: without one, deletes on the parent table scan the child table",
  safe: 'CREATE INDEX on the foreign key columns in the same migration',
  examples: [
    bad("CREATE TABLE IF NOT EXISTS lines (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, order_id bigint REFERENCES orders (id));\nCOMMENT ON TABLE lines IS 'x';"),
    good(
      "CREATE TABLE IF NOT EXISTS lines (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, order_id bigint REFERENCES orders (id));\nCREATE INDEX IF NOT EXISTS ix_lines_order_id ON lines (order_id);\nCOMMENT ON TABLE lines IS 'x';",
    ),
    good("CREATE TABLE IF NOT EXISTS lines (order_id bigint REFERENCES orders (id), n bigint, PRIMARY KEY (order_id, n));\nCOMMENT ON TABLE lines IS 'x';"),
  ],
  visitor: ({ report }) => {
    // Only the leading column counts: an index helps the child-table lookup only when the key leads it.
    const leads = new Set<string>();
    const keys: Array<{ table: string; columns: string[]; statement: number }> = [];
    const lead = (table: string, columns: readonly string[]): void => {
      if (columns[0]) leads.add(`${table}.${columns[0]}`);
    };
    const key = (statement: number, table: string, constraint: Node, columns: string[]): void => {
      const own = names(constraint['fk_attrs']);
      keys.push({ table, columns: own.length > 0 ? own : columns, statement });
    };
    return {
      constraint: ({ statement, table, constraint }) => {
        if (constraint['contype'] === 'CONSTR_FOREIGN') key(statement, table, constraint, []);
        if (constraint['contype'] === 'CONSTR_PRIMARY' || constraint['contype'] === 'CONSTR_UNIQUE') lead(table, names(constraint['keys']));
      },
      column: ({ statement, table, name, constraints, added }) => {
        if (!added && hasConstraint(constraints, 'CONSTR_PRIMARY', 'CONSTR_UNIQUE')) lead(table, [name]);
        for (const constraint of constraints) if (constraint['contype'] === 'CONSTR_FOREIGN') key(statement, table, constraint, [name]);
      },
      index: ({ table, columns }) => lead(table, columns),
      end: () => {
        for (const { table, columns, statement } of keys) {
          if (!leads.has(`${table}.${columns[0]?.toLowerCase() ?? ''}`)) {
            report(statement, `foreign key ${table}(${columns.join(', ')}) has no index leading with ${columns[0] ?? 'its column'}`);
          }
        }
      },
    };
  },
});
