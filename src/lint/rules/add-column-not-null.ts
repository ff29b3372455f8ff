import { hasConstraint } from '../ast.js';
import { bad, defineRule, good } from '../rule.js';

export const rule = defineRule({
  id: 'add-column-not-null',
  severity: 'warning',
  catches: 'ADD COLUMN ... NOT NULL without a DEFAULT on an existing table',
  why: 'it fails on any table that has rows',
  safe: 'add the column with a DEFAULT, or add it nullable, backfill, then SET NOT NULL',
  examples: [
    bad("ALTER TABLE orders ADD COLUMN IF NOT EXISTS state text NOT NULL;\nCOMMENT ON COLUMN orders.state IS 'x';"),
    good("ALTER TABLE orders ADD COLUMN IF NOT EXISTS state text NOT NULL DEFAULT 'new';\nCOMMENT ON COLUMN orders.state IS 'x';"),
  ],
  visitor: ({ existing, report }) => ({
    addColumn: ({ statement, table, name, constraints }) => {
      if (existing(table) && hasConstraint(constraints, 'CONSTR_NOTNULL') && !hasConstraint(constraints, 'CONSTR_DEFAULT')) {
        report(statement, `ADD COLUMN ${table}.${name} NOT NULL without a DEFAULT`);
      }
    },
  }),
});
