/** Naming the session that holds the migration lock from what pgshift sets, never from its query. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeHolder, describeRunning, runningNamePrefix, type LockHolder } from '../../src/core/lock-holder.js';

const NOW = new Date('2026-11-30T12:00:42Z');
const START = Math.floor(new Date('2026-11-30T12:00:00Z').getTime() / 1000);

test('the application_name carries the command, the file and when it started, and fits 63 bytes', () => {
  const name = `${runningNamePrefix('up', 'migrations/003_x.sql')}${START}`;
  assert.equal(name, `pgshift up: migrations/003_x.sql @${START}`);
  assert.equal(describeRunning(name, NOW), 'pgshift up: migrations/003_x.sql, running 42 s');
  const long = `${runningNamePrefix('down', `rollbacks/${'deeply/'.repeat(10)}0042_a_very_long_migration_name_indeed.sql`)}${START}`;
  assert.ok(Buffer.byteLength(long) <= 63, `${long} is ${Buffer.byteLength(long)} bytes`);
  assert.match(long, /^pgshift down: \.\.\..*_indeed\.sql @\d{10}$/);
  const odd = `${runningNamePrefix('up', 'migrations/001_café$x.sql')}${START}`;
  assert.equal(odd, `pgshift up: migrations/001_caf??x.sql @${START}`);
});

test('a holder is described by its name, user and state; another role is told pg_monitor shows more', () => {
  const holder: LockHolder = {
    pid: 7,
    applicationName: `pgshift up: migrations/003_x.sql @${START}`,
    clientAddress: '10.0.0.5',
    user: 'deploy',
    since: new Date('2026-11-30T11:59:00Z'),
    state: 'active',
    serverTime: NOW,
  };
  assert.equal(describeHolder(holder), 'by pid 7 (pgshift up: migrations/003_x.sql, running 42 s, user deploy, from 10.0.0.5 since 2026-11-30T11:59:00.000Z, active)');
  assert.equal(
    describeHolder({ ...holder, applicationName: 'psql', clientAddress: null, since: null, state: null }),
    'by pid 7 (psql, user deploy; its address and state are hidden from this role: a member of pg_monitor sees them)',
  );
  // Names another session chose: an escape or a newline in them must not drive the terminal or split the line.
  assert.equal(
    describeHolder({ ...holder, applicationName: 'app\u001b[7m', user: 'ev\nil\t', state: 'idle' }),
    'by pid 7 (app?[7m, user ev?il?, from 10.0.0.5 since 2026-11-30T11:59:00.000Z, idle)',
  );
});
