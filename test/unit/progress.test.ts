/** What a progress reading means (core/statement-progress.ts) and how the line says it (cli/render-progress.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { progressLine } from '../../src/cli/render-progress.js';
import { describeStatement, runSecondsLeft, type StatementProbe } from '../../src/core/statement-progress.js';
import type { ProgressEvent } from '../../src/migrator-types.js';

const probe = (row: Record<string, unknown>, view: StatementProbe['view'] = 'create_index'): StatementProbe => ({
  runningMs: 12_000,
  waitEventType: null,
  holders: [],
  view,
  row,
  relation: 'big',
});

test('each phase shows its own count, a phase without one none, and a rate only within one phase', () => {
  const scanning = { command: 'CREATE INDEX', phase: 'building index: scanning table', blocks_done: 100, blocks_total: 400, tuples_done: 0, tuples_total: 0 };
  const first = describeStatement(probe(scanning), undefined, 0);
  assert.deepEqual(first.progress, { elapsedMs: 12_000, command: 'CREATE INDEX', relation: 'big', phase: 'building index: scanning table', done: 100, total: 400, unit: 'blocks', percent: 25 });
  const later = describeStatement(probe({ ...scanning, blocks_done: 200 }), first.mark, 1000);
  assert.equal(later.progress.phaseSecondsLeft, 2, '100 blocks a second, 200 to go');
  // Sorting counts nothing: the scan's 400 of 400 blocks would say 100% of the wrong thing.
  const sorting = describeStatement(probe({ ...scanning, phase: 'building index: sorting live tuples', blocks_done: 400 }), later.mark, 2000);
  assert.deepEqual([sorting.progress.percent, sorting.progress.unit, sorting.mark], [undefined, undefined, undefined]);
  const loading = describeStatement(probe({ ...scanning, phase: 'building index: loading tuples in tree', tuples_done: 10, tuples_total: 40 }), sorting.mark, 3000);
  assert.deepEqual([loading.progress.unit, loading.progress.percent, loading.progress.phaseSecondsLeft], ['tuples', 25, undefined]);
});

test('a partitioned index says which partition; a lock wait names the holders, a prepared transaction by its gid', () => {
  const partitioned = describeStatement(probe({ command: 'CREATE INDEX', phase: 'building index: scanning table', blocks_done: 5, blocks_total: 10, partitions_done: 1, partitions_total: 3 }), undefined, 0);
  const event: ProgressEvent = { files: { done: 0, total: 1, elapsedMs: 12_000 }, file: 'migrations/001_ix.sql', statement: partitioned.progress };
  assert.equal(progressLine(event), 'migrations/001_ix.sql 12 s: CREATE INDEX on big (partition 2 of 3): building index: scanning table 50% (5/10 blocks)');
  const waiting: ProgressEvent = {
    ...event,
    statement: {
      elapsedMs: 3000,
      waitingFor: [
        { pid: 42, application: 'psql', user: 'alice', state: 'idle in transaction', seconds: 40 },
        { pid: 0, application: 'forgotten', user: 'bob', state: 'prepared', seconds: 3600 },
        { pid: 7, application: '', user: 'carol', state: null, seconds: null },
      ],
    },
  };
  assert.equal(
    progressLine(waiting),
    'migrations/001_ix.sql 3 s, waiting for a lock held by pid 42 (psql, user alice, idle in transaction, transaction open 40 s); the prepared transaction "forgotten" (owner bob, prepared 1 h 0 min ago: COMMIT PREPARED or ROLLBACK PREPARED it); pid 7 (no application name, user carol, state hidden)',
  );
});

test("on a narrow terminal the run's part goes first; names cannot break the line; the file is shortened on a terminal only", () => {
  const event: ProgressEvent = {
    files: { done: 6, total: 7, elapsedMs: 65_000, secondsLeft: 9 },
    file: 'migrations/007_ix.sql',
    statement: { elapsedMs: 2000, command: 'CREATE INDEX', relation: 'odd\nname', phase: 'building index: scanning table', done: 1, total: 4, unit: 'blocks', percent: 25 },
  };
  assert.equal(progressLine(event), 'files 6/7, 1:05 elapsed, ~0:09 left · migrations/007_ix.sql (7/7) 2 s: CREATE INDEX on odd?name: building index: scanning table 25% (1/4 blocks)');
  assert.equal(progressLine(event, { width: 80, short: true }), '007_ix.sql (7/7) 2 s: CREATE INDEX on odd?name: building index: scanning table 25% (1/4 blocks)');
  // Wide characters count two columns each: both parts are 135 characters here, but 145 columns.
  const wide = { ...event, statement: { ...event.statement!, relation: '顧客テーブルの作成と' } };
  assert.equal(progressLine(wide, { width: 140, short: true }), '007_ix.sql (7/7) 2 s: CREATE INDEX on 顧客テーブルの作成と: building index: scanning table 25% (1/4 blocks)');
  // A lock holder's names are another session's, just as a table's.
  const waiting: ProgressEvent = { ...event, statement: { elapsedMs: 1000, waitingFor: [{ pid: 9, application: 'x\u001b[7m', user: 'ev\nil', state: 'active', seconds: 1 }] } };
  assert.match(progressLine(waiting) ?? '', /pid 9 \(x\?\[7m, user ev\?il, active/);
});

test("the run's time left is the finished files' rate, less what the running one has had", () => {
  assert.equal(runSecondsLeft({ done: 0, total: 4, doneAtMs: 0, nowMs: 5000 }), undefined, 'no file finished: no rate');
  assert.equal(runSecondsLeft({ done: 2, total: 4, doneAtMs: 4000, nowMs: 5000 }), 3, '2 s a file, 2 to go, 1 s into the next');
  assert.equal(runSecondsLeft({ done: 2, total: 4, doneAtMs: 4000, nowMs: 60_000 }), 0, 'never below zero');
});
