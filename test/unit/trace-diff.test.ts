import assert from 'node:assert/strict';
import { test } from 'node:test';
import { catalogState, heldLocks, preExisting, statementSummary } from '../../src/core/trace-diff.js';

test('a summary is the statement on one line, cut with an ellipsis', () => {
  assert.equal(statementSummary('ALTER TABLE orders\n    ADD COLUMN note text'), 'ALTER TABLE orders ADD COLUMN note text');
  const long = statementSummary(`UPDATE orders SET note = '${'x'.repeat(100)}'`);
  assert.equal([...long].length, 60);
  assert.ok(long.endsWith('…'));
});

test('held locks: the strongest mode per relation that existed, predicate locks left out', () => {
  const state = catalogState({
    relations: [
      { oid: 10, schema: 'public', name: 'orders', kind: 'table', filenode: 10, table: null },
      { oid: 11, schema: 'public', name: 'orders_pkey', kind: 'index', filenode: 11, table: 10 },
    ],
    columns: [],
    constraints: [],
  });
  const pre = preExisting(state);
  const locks = heldLocks(
    [
      { relation: 10, mode: 'AccessShareLock' },
      { relation: 10, mode: 'ShareLock' },
      { relation: 11, mode: 'SIReadLock' },
      { relation: 99, mode: 'AccessExclusiveLock' },
    ],
    pre,
  );
  assert.deepEqual(locks, [{ relation: { schema: 'public', name: 'orders', kind: 'table' }, mode: 'ShareLock' }]);
  assert.deepEqual(pre.get(11), { schema: 'public', name: 'orders_pkey', kind: 'index', table: 'public.orders' });
});
