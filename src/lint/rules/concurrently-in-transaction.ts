import { bad, defineRule, good } from '../rule.js';

export const rule = defineRule({
  id: 'concurrently-in-transaction',
  severity: 'warning',
  catches: 'CONCURRENTLY in a transactional file',
  why: 'PostgreSQL refuses it inside a transaction block',
  safe: 'start the file with -- pgshift:no-transaction (best in a file of its own)',
  examples: [
    bad('CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_o ON orders (note);'),
    bad('DROP INDEX CONCURRENTLY IF EXISTS ix_o;'),
    good('-- pgshift:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS ix_o ON orders (note);'),
  ],
  visitor: ({ transaction, report }) =>
    transaction
      ? {
          index: ({ statement, concurrent }) => {
            if (concurrent) report(statement, 'CREATE INDEX CONCURRENTLY in a transactional file');
          },
          drop: ({ statement, object, concurrent }) => {
            if (object === 'index' && concurrent) report(statement, 'DROP INDEX CONCURRENTLY in a transactional file');
          },
        }
      : {},
});
