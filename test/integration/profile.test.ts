/**
 * PGSHIFT_PROFILE=1: the run ends with one line on stderr saying where its time went, phase by phase,
 * adding up to the total; --log-level debug logs the same numbers as fields. Nothing else changes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testDatabase } from '../support/database.js';
import { makeProject } from '../support/project.js';

const FILES = { 'migrations/001_one.sql': 'CREATE TABLE one (id int);\n', 'migrations/002_two.sql': 'CREATE TABLE two (id int);\n' };

/** The profile line's phases and total. */
function profileOf(stderr: string): { phases: Map<string, number>; total: number } {
  const line = stderr.split('\n').find((text) => text.startsWith('pgshift profile: '));
  assert.ok(line, `no profile line in:\n${stderr}`);
  const [list, total] = line.slice('pgshift profile: '.length).split('; total ');
  const phases = new Map((list as string).split(', ').map((part) => {
    const match = /^(.+) (\d+) ms$/.exec(part);
    assert.ok(match, `a phase reads "NAME N ms": ${part}`);
    return [match[1] as string, Number(match[2])] as const;
  }));
  return { phases, total: Number(/^(\d+) ms$/.exec(total as string)?.[1]) };
}

test('up and a no-op up print their phases; they add up to the total', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject(FILES, db.url);
  const applying = await project.run(['up'], { env: { PGSHIFT_PROFILE: '1' } });
  assert.equal(applying.status, 0, applying.stderr);
  const first = profileOf(applying.stderr);
  for (const phase of ['node start', 'load', 'read and hash files', 'connect', 'migration lock', 'read ledger', 'parse', 'lint', 'apply', 'close', 'other']) {
    assert.ok(first.phases.has(phase), `${phase} in ${[...first.phases.keys()].join(', ')}`);
  }
  const sum = [...first.phases.values()].reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - first.total) <= first.phases.size, `phases ${sum} ms against total ${first.total} ms`);

  const noop = await project.run(['up'], { env: { PGSHIFT_PROFILE: '1' } });
  assert.equal(noop.status, 0, noop.stderr);
  const second = profileOf(noop.stderr);
  assert.equal(second.phases.has('apply'), true, 'a no-op up still runs the (empty) apply');
  assert.equal(second.phases.has('lint'), false, 'nothing to lint: the rules are not even loaded');
});

test('without PGSHIFT_PROFILE there is no profile line; --log-level debug logs the phases as fields', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject(FILES, db.url);
  const quiet = await project.run(['status']);
  assert.equal(quiet.status, 0, quiet.stderr);
  assert.doesNotMatch(quiet.stderr, /pgshift profile/);
  const debug = await project.run(['status', '--log-level', 'debug']);
  const line = debug.stderr.split('\n').find((text) => text.includes('where the time went'));
  assert.ok(line, debug.stderr);
  const fields = JSON.parse(line) as { phases: Record<string, number>; totalMs: number };
  assert.equal(typeof fields.phases['connect'], 'number');
  assert.ok(fields.totalMs >= fields.phases['connect']!);
});

test('a failed run prints its profile too, after the error', async () => {
  const project = await makeProject(FILES, 'postgres://nobody@127.0.0.1:1/nowhere');
  const run = await project.run(['status'], { env: { PGSHIFT_PROFILE: '1' } });
  assert.equal(run.status, 5, run.stderr);
  assert.ok(profileOf(run.stderr).phases.has('connect'));
});
