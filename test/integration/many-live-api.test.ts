/**
 * A many-database run as it goes: the live line a terminal gets (and --json or a pipe does not), a lint
 * finding logged once for the run, and migrateMany from the API: a result per target, events, no throw.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { migrateMany, type TargetEvent } from '../../src/index.js';
import { testDatabase } from '../support/database.js';
import { ledgerVersions } from '../support/inspect.js';
import { NOWHERE, noLedgers, targetsFile } from '../support/many.js';
import { cleanEnv, inTerminal, logLines, makeProject } from '../support/project.js';

const created = await Promise.all(Array.from({ length: 6 }, () => testDatabase(import.meta.url)));
const ttys = created.slice(0, 3);
const apis = created.slice(3);

const PROGRESS = /targets: \d+\/3 done, \d+ failed, \d+ running/g;

test('a terminal gets a live line (done, failed, running) erased before the table; --json and a pipe get none', { skip: !existsSync('/usr/bin/script') && 'needs script(1)' }, async () => {
  const sleeps = Object.fromEntries([1, 2, 3].map((version) => [`migrations/00${version}_sleep.sql`, 'SELECT pg_sleep(0.5);\n']));
  const slow = await makeProject(sleeps);
  const file = await targetsFile(slow, 'targets.txt', ttys.map((db, index) => `t${index + 1}=${db.url}\n`).join(''));
  const live = await inTerminal(slow.dir, ['up', '--targets', file, '--to', '1'], cleanEnv());
  assert.equal(live.status, 0, live.stdout);
  const shown = [...live.stdout.matchAll(PROGRESS)];
  assert.ok(shown.length > 0, `no progress line in:\n${JSON.stringify(live.stdout)}`);
  assert.ok(shown.some((match) => / running: t\d/.test(live.stdout.slice(match.index, match.index + 80))), 'the running targets are named');
  const last = (shown.at(-1)?.index ?? 0) + 1;
  const erased = live.stdout.indexOf('\r\u001b[K', last);
  const table = live.stdout.search(/target +version +applied/);
  assert.ok(last < erased && erased < table, `the last progress line is not erased before the table:\n${JSON.stringify(live.stdout)}`);
  assert.match(live.stdout, /3 targets: 3 ok, 0 failed/);
  for (const db of ttys) assert.deepEqual(await ledgerVersions(db.sql), [1]);

  const json = await inTerminal(slow.dir, ['up', '--targets', file, '--to', '2', '--json'], cleanEnv());
  assert.equal(json.status, 0, json.stdout);
  assert.doesNotMatch(json.stdout, /targets: \d+\//);
  const piped = await slow.run(['up', '--targets', file]);
  assert.equal(piped.status, 0, piped.stderr);
  assert.doesNotMatch(piped.stderr, /targets: \d+\//);
  for (const db of ttys) assert.deepEqual(await ledgerVersions(db.sql), [1, 2, 3]);
});

test('migrateMany: a result per target, events as they run, and a failing target is a result, not a throw', async () => {
  const where = await makeProject({ 'migrations/001_accounts.sql': 'CREATE TABLE accounts (id int PRIMARY KEY);\n' });
  const targets = [...apis.map((db, index) => ({ name: `api${index + 1}`, database: { url: db.url } })), { name: 'nowhere', database: { url: NOWHERE } }];
  await assert.rejects(migrateMany(targets, { cwd: where.dir, parallel: 0 }), { code: 'USAGE' });
  await noLedgers(...apis);

  const events: TargetEvent[] = [];
  const result = await migrateMany(targets, { cwd: where.dir, parallel: 2, onEvent: (event) => events.push(event) });
  assert.deepEqual(
    result.targets.map((t) => [t.name, t.outcome, t.error?.code, t.before, t.after, t.migrations.map((m) => m.version)]),
    [['api1', 'ok', undefined, null, 1, [1]], ['api2', 'ok', undefined, null, 1, [1]], ['api3', 'ok', undefined, null, 1, [1]], ['nowhere', 'failed', 'CONNECTION_FAILED', undefined, undefined, []]],
  );
  for (const db of apis) assert.deepEqual(await ledgerVersions(db.sql), [1]);
  for (const { name } of targets) {
    const own = events.filter((event) => (event.type === 'finished' ? event.result.name : event.name) === name).map((event) => event.type);
    assert.deepEqual(own, name === 'nowhere' ? ['started', 'finished'] : ['started', 'file', 'finished'], name);
  }
  const file = events.find((event) => event.type === 'file');
  assert.match(file?.type === 'file' ? file.path : '', /migrations\/001_accounts\.sql$/);
  const finished = events.filter((event) => event.type === 'finished').map((event) => event.result);
  assert.deepEqual(new Set(finished), new Set(result.targets));

  const status = await migrateMany(targets.slice(0, 3), { cwd: where.dir, command: 'status' });
  assert.deepEqual(status.targets.map((t) => [t.outcome, t.before, t.after, t.status?.entries.map((entry) => entry.state)]), Array(3).fill(['ok', 1, 1, ['applied']]));
});

test('a lint finding is logged once for the run, not once per target', async () => {
  const linted = await makeProject({
    'migrations/001_big.sql': "CREATE TABLE IF NOT EXISTS big_table (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);\nCOMMENT ON TABLE big_table IS 'x';\n",
    'migrations/002_index.sql': 'CREATE INDEX IF NOT EXISTS ix_big ON big_table (id);\n',
  });
  // The terminal test's databases, with a ledger of this test's own.
  const file = await targetsFile(linted, 'targets.txt', ttys.map((db) => `${db.url}\n`).join(''));
  const run = await linted.run(['up', '--targets', file, '--table', 'lint_ledger']);
  assert.equal(run.status, 0, run.stderr);
  const findings = logLines(run.stderr).filter((line) => line['rule'] === 'index-not-concurrent');
  assert.equal(findings.length, 1, run.stderr);
  for (const db of ttys) assert.deepEqual(await ledgerVersions(db.sql, 'lint_ledger'), [1, 2]);
});
