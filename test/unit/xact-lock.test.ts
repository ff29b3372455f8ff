/** What each transaction under --lock transaction expects of the ledger, as the run moves it on. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { tableNamed } from '../../src/db/ledger.js';
import { applyScript, revertScript } from '../../src/db/wire-sql.js';
import { ledgerAfter, ledgerDigest, type TransactionLock } from '../../src/db/xact-lock.js';
import type { SqlFile } from '../../src/core/types.js';

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');
const LOCK: TransactionLock = { ledger: undefined };

test('a missing ledger is not an empty one; the digest is the md5 of the sorted versions, as the SQL computes it', () => {
  assert.equal(ledgerDigest(undefined), '-');
  assert.equal(ledgerDigest([]), md5(''));
  assert.equal(ledgerDigest([10, 2, 1]), md5('1,2,10'));
});

test('the ledger a transaction expects: what was read, plus what the run applied, less what it reverted', () => {
  assert.equal(ledgerAfter(LOCK, [], []), LOCK);
  assert.deepEqual(ledgerAfter(LOCK, [1, 2], []).ledger, [1, 2]);
  assert.deepEqual(ledgerAfter({ ...LOCK, ledger: [1, 2, 3] }, [], [3, 2]).ledger, [1]);
  assert.deepEqual(ledgerAfter({ ...LOCK, ledger: [1, 2, 3] }, [], [1, 2, 3]).ledger, [], 'reverted to empty, the ledger table stays');
});

test('the lock and the check open the transaction; the settings come before the file; the ledger check before the reset, the version again after it, before the ledger row', () => {
  const table = { ...tableNamed('app', 'schema_migrations'), settings: { schema: 'app', version: '9.9.9' } };
  const file = { path: 'migrations/001_t.sql', version: 1, name: 't', checksum: 'c', text: 'CREATE TABLE t ();', kind: 'migration' } as unknown as SqlFile;
  const lock = { ...LOCK, ledger: [] };
  const { text } = applyScript(table, [{ file, timeouts: { lockTimeout: '1s' } }], undefined, lock);
  assert.match(text, /^BEGIN;\nDO \$pgshift\$ BEGIN IF NOT pg_try_advisory_xact_lock\(-?\d+\) THEN RAISE EXCEPTION USING ERRCODE = 'PGL03'/);
  assert.match(text, new RegExp(`IF d IS DISTINCT FROM '${md5('')}' THEN RAISE EXCEPTION USING ERRCODE = 'PGL04'`));
  assert.match(text, /\nRESET ROLE;\nDO \$pgshift\$ DECLARE a regclass[^\n]*PGL02[^\n]*\nRESET ALL;\n(?:[^\n]*\n)*?DISCARD SEQUENCES;\nSET LOCAL pgshift\.version = '9\.9\.9';\nINSERT INTO "app"\."schema_migrations"/);
  assert.match(text, /PERFORM set_config\('search_path','"app"',true\), set_config\('pgshift\.version','9\.9\.9',true\);PERFORM set_config\('pgshift\.ledger_key'[^\n]*\nSET LOCAL lock_timeout = '1s';\nCREATE TABLE t \(\);/);
  assert.doesNotMatch(text, /pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid\(\) AND classid/, 'no session lock guard');
  assert.doesNotMatch(revertScript(table, file, { lockTimeout: '1s' }, false).text, /pg_try_advisory_xact_lock\(-?\d+\) THEN/, 'session mode unchanged');
});
