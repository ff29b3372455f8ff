/**
 * One round trip per transactional migration: the transaction, the lock check, the file and its ledger
 * row travel as one simple-protocol message. Counted on the wire by a proxy.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testDatabase } from '../support/database.js';
import { makeProject } from '../support/project.js';
import { startProxy } from '../support/proxy.js';

const db = await testDatabase(import.meta.url);
const proxy = await startProxy(new URL(db.url));
const viaProxy = new URL(db.url);
viaProxy.hostname = '127.0.0.1';
viaProxy.port = String(proxy.port);
const project = await makeProject({}, viaProxy.toString());

async function messagesFor(count: number, first: number): Promise<number> {
  for (let version = first; version < first + count; version++) {
    await project.write(`migrations/${String(version).padStart(3, '0')}_m.sql`, `CREATE TABLE m_${version} (id int PRIMARY KEY);\nCREATE INDEX ix_m_${version} ON m_${version} (id);\nCOMMENT ON TABLE m_${version} IS 'm';\n`);
  }
  proxy.reset();
  const run = await project.run(['up']);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(proxy.counts.get('P') ?? 0, 0, 'no extended-protocol messages');
  return proxy.counts.get('Q') ?? 0;
}

test('each transactional migration adds exactly one message to the run', async (t) => {
  const ten = await messagesFor(10, 1);
  const twenty = await messagesFor(20, 11);
  assert.equal(twenty - ten, 10, `10 migrations cost ${ten} messages in all, 20 cost ${twenty}`);
  // The fixed part: session info, reserve, lock, ledger read, unlock (and the ledger's absence check on the first run).
  assert.ok(ten - 10 <= 7, `fixed cost per run: ${ten - 10} messages`);
  t.diagnostic(`simple-query messages: ${ten} for a run of 10 migrations, ${twenty} for a run of 20`);
  await proxy.close();
});
