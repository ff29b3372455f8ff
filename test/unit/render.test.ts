/** What a person reads on a terminal: the error block, the status table. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorFields, errorText, statusTable } from '../../src/cli/render.js';
import { PgshiftError } from '../../src/core/errors.js';

test('an SQL error shows file:line:col, the line with a caret under a gutter, SQLSTATE, detail, hints', () => {
  const error = new PgshiftError('MIGRATION_FAILED', 'migrations/002_orders.sql:14:13: column "customer" does not exist', {
    hint: 'fix the file and run up again',
    sql: {
      file: 'migrations/002_orders.sql',
      line: 14,
      column: 13,
      snippet: '  ON orders (customer);\n            ^',
      sqlState: '42703',
      detail: 'some detail',
      serverHint: 'Perhaps you meant to reference the column "orders.customer_id".',
    },
  });
  assert.equal(
    errorText(error),
    [
      'error: migrations/002_orders.sql:14:13: column "customer" does not exist',
      '  14 |   ON orders (customer);',
      '     |             ^',
      '  SQLSTATE 42703',
      '  detail: some detail',
      '  server hint: Perhaps you meant to reference the column "orders.customer_id".',
      '  hint: fix the file and run up again',
      '',
    ].join('\n'),
  );
});

test('the status table aligns columns and shows partial progress', () => {
  const text = statusTable([
    { version: 1, name: 'a', state: 'applied', path: 'migrations/001_a.sql', appliedAt: new Date('2026-01-02T03:04:05.678Z'), executionMs: 12, checksum: 'x', hasRollback: true },
    { version: 10, name: 'long_name', state: 'partial', path: 'migrations/010_long_name.sql', appliedAt: undefined, executionMs: undefined, checksum: 'y', hasRollback: false, progress: { done: 2, total: 5, error: 'boom' } },
  ]);
  assert.equal(
    text,
    [
      'version  name       state          applied at            ms  rollback',
      '      1  a          applied        2026-01-02 03:04:05Z  12  yes',
      '     10  long_name  partial (2/5)  -                      -  no',
      '',
      'version 10 stopped after statement 2 of 5: boom',
      '  up resumes it at statement 3; down reverts it with its rollback',
      '',
    ].join('\n'),
  );
});

test('an error after connecting names the database, in the block and in the JSON fields', () => {
  const error = new PgshiftError('CONNECTION_LOST', 'the connection to the database was lost', { hint: 'run the command again' });
  error.target = 'deploy@db.internal:5432/prod_db';
  assert.equal(
    errorText(error),
    'error: the connection to the database was lost\n  database: deploy@db.internal:5432/prod_db\n  hint: run the command again\n',
  );
  assert.equal(errorFields(error, 5)['target'], 'deploy@db.internal:5432/prod_db');
});
