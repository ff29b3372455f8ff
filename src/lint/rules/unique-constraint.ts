import { bad, defineRule, good } from '../rule.js';

export const rule = defineRule({
  id: 'unique-constraint',
  severity: 'warning',
  catches: 'ADD CONSTRAINT ... UNIQUE (or PRIMARY KEY) on an existing table without USING INDEX',
  why: 'it builds the index while blocking writes',
  safe: 'CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... UNIQUE USING INDEX',
  examples: [
    bad('ALTER TABLE orders ADD CONSTRAINT uq_note UNIQUE (note);'),
    good('ALTER TABLE orders ADD CONSTRAINT uq_note UNIQUE USING INDEX ux_note;'),
  ],
  visitor: ({ existing, report }) => ({
    constraint: ({ statement, table, constraint, added }) => {
      const type = constraint['contype'];
      if (added && existing(table) && (type === 'CONSTR_UNIQUE' || type === 'CONSTR_PRIMARY') && !constraint['indexname']) {
        report(statement, `${type === 'CONSTR_UNIQUE' ? 'UNIQUE' : 'PRIMARY KEY'} added to ${table} without USING INDEX`);
      }
    },
  }),
});
