import { bad, defineRule, good } from '../rule.js';

export const rule = defineRule({
  id: 'constraint-not-valid',
  severity: 'warning',
  catches: 'a FOREIGN KEY or CHECK added to an existing table without NOT VALID',
  why: 'it validates every row while holding a lock that blocks writes',
  safe: 'ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later migration (it takes a weaker lock)',
  examples: [
    bad('ALTER TABLE orders ADD CONSTRAINT ck_len CHECK (length(note) < 100);'),
    good('ALTER TABLE orders ADD CONSTRAINT ck_len CHECK (length(note) < 100) NOT VALID;'),
  ],
  visitor: ({ existing, report }) => ({
    constraint: ({ statement, table, constraint, added }) => {
      const type = constraint['contype'];
      if (added && existing(table) && (type === 'CONSTR_FOREIGN' || type === 'CONSTR_CHECK') && !constraint['skip_validation']) {
        report(statement, `${type === 'CONSTR_FOREIGN' ? 'FOREIGN KEY' : 'CHECK'} added to ${table} without NOT VALID`);
      }
    },
  }),
});
