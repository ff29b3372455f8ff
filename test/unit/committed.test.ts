/** What lets a transaction be sent behind the one before it: the mark each makes, and the check of the next. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tableNamed } from '../../src/db/ledger.js';
import { applyScript, revertScript } from '../../src/db/wire-sql.js';
import type { SqlFile } from '../../src/core/types.js';

const table = tableNamed('public', 'schema_migrations');
const file = (version: number): SqlFile =>
  ({ path: `migrations/00${version}_t.sql`, version, name: 't', checksum: 'c', text: `CREATE TABLE t${version} ();`, kind: 'migration' }) as unknown as SqlFile;
const timeouts = { lockTimeout: '1s' };

test('each transaction marks itself committed as its last statement before COMMIT, and COMMIT ends the message', () => {
  // A cancel request that reaches the server during a COMMIT takes effect at the next statement: a statement
  // after the COMMIT would fail the script of a file that committed.
  for (const { text } of [applyScript(table, [{ file: file(2), timeouts }]), revertScript(table, file(2), timeouts, false), revertScript(table, file(2), timeouts, true)]) {
    assert.match(text, /\nSET pgshift\.committed = '2';\nCOMMIT;\n$/);
  }
  const single = applyScript(table, [1, 2, 3].map((version) => ({ file: file(version), timeouts })));
  assert.match(single.text, /\nSET pgshift\.committed = '3';\nCOMMIT;\n$/);
});

test('a transaction after another checks first that the one before committed; the first of a run and --lock transaction do not', () => {
  const check = /^BEGIN;\nDO \$pgshift\$ [^\n]* BEGIN IF current_setting\('pgshift\.committed',true\) IS DISTINCT FROM '1' THEN RAISE EXCEPTION USING ERRCODE = 'PGL05', MESSAGE = 'migrations\/001_t\.sql was not (applied|reverted), so the file after it did not run'; END IF;/;
  const previous = { version: 1, path: 'migrations/001_t.sql' };
  assert.match(applyScript(table, [{ file: file(2), timeouts }], undefined, undefined, false, previous).text, check);
  assert.match(revertScript(table, file(2), timeouts, false, undefined, previous).text, check);
  assert.doesNotMatch(applyScript(table, [{ file: file(2), timeouts }]).text, /pgshift\.committed',true\)/);
  const locked = applyScript(table, [{ file: file(2), timeouts }], undefined, { ledger: [1] }, false, undefined);
  assert.doesNotMatch(locked.text, /pgshift\.committed/, 'under --lock transaction the ledger check does this');
});
