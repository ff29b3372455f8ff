/** Test databases' names and what prune removes, decided without a server. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cloneMaker,
  cloneName,
  hostTag,
  keepSeconds,
  noteText,
  planPrune,
  readNote,
  freeSpareSlot,
  spareName,
  spareSlot,
  spareTemplate,
  templateName,
  type PruneRules,
  type TemplateInputs,
} from '../../src/core/test-databases.js';

const INPUTS: TemplateInputs = {
  pgshiftVersion: '0.1.0',
  serverMajor: 15,
  user: 'app',
  schema: undefined,
  table: 'schema_migrations',
  migrations: [{ version: 1, name: 'users', checksum: 'a'.repeat(64) }],
  repeatables: [{ name: 'views', checksum: 'b'.repeat(64) }],
};

test('the template name changes with each input, and every name fits in 63 bytes whatever the inputs', () => {
  const base = templateName(INPUTS);
  assert.match(base, /^pgshift_tpl_[0-9a-f]{32}$/);
  const variants: Array<Partial<TemplateInputs>> = [
    { pgshiftVersion: '0.2.0' },
    { serverMajor: 17 },
    { user: 'other' },
    { schema: 'app' },
    { table: 'ledger' },
    { migrations: [{ version: 1, name: 'users', checksum: 'c'.repeat(64) }] },
    { migrations: [{ version: 2, name: 'users', checksum: 'a'.repeat(64) }] },
    { repeatables: [] },
  ];
  const names = variants.map((change) => templateName({ ...INPUTS, ...change }));
  assert.equal(new Set([base, ...names]).size, variants.length + 1);
  const long = templateName({ ...INPUTS, user: 'ü'.repeat(200), schema: 's'.repeat(63), table: 't'.repeat(200) });
  const clone = cloneName(long, { host: hostTag('h'.repeat(300)), pid: 4194304, created: 9_999_999_999 }, 'ffff');
  assert.ok(Buffer.byteLength(long) <= 63 && Buffer.byteLength(clone) <= 63, `${long} ${clone}`);
  assert.deepEqual(cloneMaker(clone), { host: hostTag('h'.repeat(300)), pid: 4194304, created: 9_999_999_999 });
  assert.equal(cloneMaker('pgshift_test_not_one'), undefined);
});

test('notes round-trip, and a comment written by hand is no note', () => {
  assert.deepEqual(readNote(noteText({ built: 5 })), { built: 5 });
  assert.deepEqual(readNote(noteText({ kept: 7 })), { kept: 7 });
  for (const comment of [null, 'my notes', 'pgshift {broken', 'pgshift {"other":1}']) assert.equal(readNote(comment), undefined);
});

test('--keep reads 0 and whole days, hours, minutes and seconds, and nothing else', () => {
  assert.deepEqual(['0', '00', '1d', '12h', '30min', '90s', ' 2d '].map(keepSeconds), [0, 0, 86400, 43200, 1800, 90, 172800]);
  for (const bad of ['', '1', '30m', '-1d', '1.5h', '1w', 'd', '1d2h']) assert.equal(keepSeconds(bad), undefined, bad);
  for (const large of ['9999999999d', '99999999999999999999999s']) assert.equal(keepSeconds(large), 'too large', large);
  assert.equal(keepSeconds('000000000012h'), 12 * 3600);
});

test('prune: what goes and why, in prune and build modes', () => {
  const now = 1_800_000_000;
  const current = templateName(INPUTS);
  const other = templateName({ ...INPUTS, user: 'other' });
  const host = hostTag('here');
  let n = 0;
  const clone = (pid: number, created: number, where = host): string => cloneName(current, { host: where, pid, created }, (n++).toString(16).padStart(4, '0'));
  const rows = {
    current: { name: current, isTemplate: true, comment: noteText({ built: now - 10 * 86400 }) },
    other: { name: other, isTemplate: true, comment: noteText({ built: now - 3600 }) },
    unfinished: { name: templateName({ ...INPUTS, table: 'x' }), isTemplate: false, comment: null },
    alive: { name: clone(10, now - 60), isTemplate: false, comment: null },
    gone: { name: clone(11, now - 60), isTemplate: false, comment: null },
    goneKept: { name: clone(11, now - 60), isTemplate: false, comment: noteText({ kept: now - 30 }) },
    elsewhere: { name: clone(11, now - 60, hostTag('there')), isTemplate: false, comment: null },
    detached: { name: clone(0, now - 60), isTemplate: false, comment: null },
    oldKept: { name: clone(10, now - 86400), isTemplate: false, comment: noteText({ kept: now - 86400 }) },
    handWritten: { name: 'pgshift_test_mine', isTemplate: false, comment: null },
  };
  const rules: PruneRules = { current, now, keepSeconds: 86400, host, alive: (pid) => pid === 10, mode: 'prune' };
  const plan = (given: PruneRules): Record<string, string> => {
    const steps = planPrune(Object.values(rows), given);
    return Object.fromEntries(Object.entries(rows).flatMap(([key, row]) => steps.filter((step) => step.name === row.name).map((step) => [key, step.reason])));
  };
  const other_ = 'not the template of these files (other files, or another role, server or pgshift version)';
  assert.deepEqual(plan(rules), {
    other: other_,
    unfinished: 'a template whose build did not finish',
    gone: 'left by process 11, which is gone',
    oldKept: 'made 24 hours ago',
  });
  // Connections are ended only where nobody can be using the database: an old clone in use stays.
  assert.deepEqual(
    planPrune(Object.values(rows), rules).map(({ name, force }) => [Object.entries(rows).find(([, row]) => row.name === name)?.[0], force]),
    [['other', true], ['unfinished', true], ['gone', true], ['oldKept', false]],
  );
  // A build drops only templates: an unfinished one, and another files' one once it is keepSeconds old.
  assert.deepEqual(plan({ ...rules, mode: 'build' }), { unfinished: 'a template whose build did not finish' });
  assert.equal(plan({ ...rules, mode: 'build', now: now + 86400 })['other'], `${other_}, built 25 hours ago`);
  assert.ok(planPrune(Object.values(rows), rules).every((step) => step.template === step.name.startsWith('pgshift_tpl_')));
  assert.equal(plan({ ...rules, keepSeconds: 61 })['alive'], undefined);
  assert.equal(plan({ ...rules, keepSeconds: 60 })['alive'], 'made 60 seconds ago');
  assert.equal(plan({ ...rules, keepSeconds: 0, now: now - 59 })['alive'], 'made 1 second ago');
});

test('prune drops every spare; a build drops those of the templates it drops; slots are drawn among the free ones', () => {
  const now = 1_800_000_000;
  const current = templateName(INPUTS);
  const other = templateName({ ...INPUTS, user: 'other' });
  const gone = templateName({ ...INPUTS, table: 'z' });
  const rows = [
    { name: current, isTemplate: true, comment: noteText({ built: now - 60 }) },
    { name: other, isTemplate: true, comment: noteText({ built: now - 3600 }) },
    { name: spareName(current, 1), isTemplate: false, comment: null },
    { name: spareName(other, 1), isTemplate: false, comment: null },
    { name: spareName(gone, 2), isTemplate: false, comment: null },
  ];
  const rules: PruneRules = { current, now, keepSeconds: 86400, host: hostTag('here'), alive: () => true, mode: 'prune' };
  const dropped = (given: PruneRules): string[] => planPrune(rows, given).map((step) => `${step.name}: ${step.reason}`);
  // Prune clears up: every spare, the current template's too (the next test databases make them again).
  assert.deepEqual(dropped(rules), [
    `${other}: not the template of these files (other files, or another role, server or pgshift version)`,
    `${spareName(current, 1)}: a spare of the current template`,
    `${spareName(other, 1)}: a spare of ${other}`,
    `${spareName(gone, 2)}: a spare of ${gone}`,
  ]);
  // A build keeps another files' template for a day, and its spare with it.
  assert.deepEqual(dropped({ ...rules, mode: 'build' }), [`${spareName(gone, 2)}: a spare of ${gone}, which is not kept`]);
  assert.equal(spareTemplate(spareName(current, 7)), current);
  assert.equal(spareName(current, 999_999_999).length, 56);
  for (const name of [`pgshift_spare_${'a'.repeat(31)}_1`, `pgshift_spare_${'a'.repeat(32)}_0`, `pgshift_spare_${'a'.repeat(32)}_1_abcd`]) assert.equal(spareTemplate(name), undefined, name);
  // Slots 1 to N: the first free one, none once all N are held (whoever holds them, opened or not).
  assert.equal(freeSpareSlot(current, [], 2), 1);
  assert.equal(freeSpareSlot(current, [spareName(current, 1), spareName(other, 2)], 2), 2);
  assert.equal(freeSpareSlot(current, [spareName(current, 2), spareName(current, 1)], 2), undefined);
  assert.equal(freeSpareSlot(current, [], 0), undefined);
  assert.equal(freeSpareSlot(current, [spareName(current, 2)], 4, (count) => count - 1), 4, 'drawn among the free ones');
  assert.deepEqual([spareName(current, 10), spareName(current, 9)].map(spareSlot), [10, 9]);
});

test('a database a DROP left half-done (invalid) is only dropped, never altered, in either mode', () => {
  const current = templateName(INPUTS);
  const rules: PruneRules = { current, now: 1_800_000_000, keepSeconds: 86400, host: hostTag('here'), alive: () => true, mode: 'build' };
  const halfDropped = { name: templateName({ ...INPUTS, table: 'y' }), isTemplate: false, comment: null, invalid: true };
  const steps = [planPrune([halfDropped], rules), planPrune([halfDropped], { ...rules, mode: 'prune' })];
  for (const [step] of steps) assert.deepEqual(step, { name: halfDropped.name, template: false, reason: 'left half-dropped by a DROP DATABASE that did not finish', force: true });
});
