/**
 * drift replays the ledger as it is, not the folder: a no-transaction file stopped partway contributes the
 * statements it finished, and a baselined history (run by hand before pgshift) counts as run.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testDatabase } from '../support/database.js';
import { driftHistory } from '../support/drift-history.js';
import { driftJson } from '../support/drift.js';
import { makeProject } from '../support/project.js';

const TABLE = { 'migrations/001_items.sql': 'CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL);\n' };

test('a no-transaction file stopped at statement 3 of 4: its first two statements are expected, nothing more, also once the rest is edited', async () => {
  const db = await testDatabase(import.meta.url);
  const partial = (third: string): string =>
    `-- pgshift:no-transaction\nCREATE INDEX CONCURRENTLY ix_items_label ON items (label);\nCREATE TABLE audit (id int);\n${third}\nCREATE TABLE later (id int);\n`;
  const project = await makeProject({ ...TABLE, 'migrations/002_steps.sql': partial('SELECT 1/0;') }, db.url);
  assert.equal((await project.run(['up'])).status, 1);
  const status = await project.run(['status']);
  assert.match(status.stdout, /2\s+steps\s+partial \(2\/4\)/);
  const first = await driftJson(project);
  assert.equal(first.run.status, 0, `${first.run.stdout}${first.run.stderr}`);
  assert.deepEqual(first.answer, { drift: false, replayed: 2, scratch: 'server', differences: [], cosmetic: [] });
  // The failed statement and those after it may change before up resumes: drift replays what ran.
  await project.write('migrations/002_steps.sql', partial('SELECT 1;'));
  const edited = await driftJson(project);
  assert.equal(edited.run.status, 0, `${edited.run.stdout}${edited.run.stderr}`);
  assert.deepEqual(edited.answer.differences, []);
});

test('a no-transaction file whose CREATE UNIQUE INDEX CONCURRENTLY failed on duplicates: the INVALID index it left is extra (up resuming would trip over it)', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject(
    {
      ...TABLE,
      'migrations/002_unique.sql': `-- pgshift:no-transaction\nINSERT INTO items VALUES (1, 'same'), (2, 'same');\nCREATE UNIQUE INDEX CONCURRENTLY ux_items_label ON items (label);\n`,
    },
    db.url,
  );
  assert.equal((await project.run(['up'])).status, 1);
  const { run, answer } = await driftJson(project);
  assert.equal(run.status, 3, run.stderr);
  assert.deepEqual(answer.differences.map(({ object, change }) => ({ object, change })), [{ object: 'index public.ux_items_label', change: 'extra' }]);
});

test('a baselined history: the files run by hand before pgshift count as run, and no drift is found', async () => {
  const db = await testDatabase(import.meta.url);
  const history = driftHistory(30);
  const project = await makeProject(history, db.url);
  // The old deploy script ran 001-012 (all transactional) before pgshift took over.
  const byHand = Object.keys(history)
    .filter((path) => /^migrations\/0(0\d|1[0-2])_/.test(path))
    .sort();
  assert.equal(byHand.length, 12);
  for (const path of byHand) await db.sql.begin((sql) => sql.unsafe(history[path]!));
  const baseline = await project.run(['baseline', '--version', '12']);
  assert.equal(baseline.status, 0, baseline.stderr);
  const up = await project.run(['up']);
  assert.equal(up.status, 0, up.stderr);
  const { run, answer } = await driftJson(project, ['--privileges']);
  assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  assert.deepEqual(answer, { drift: false, replayed: 30, scratch: 'server', differences: [], cosmetic: [] });
});
