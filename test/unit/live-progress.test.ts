/** The live line of a many-database run on a terminal: what it counts, how wide it is, and that it is erased. */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { LiveProgress } from '../../src/cli/live-progress.js';
import type { TargetResult } from '../../src/migrator-types.js';

const CLEAR = '\r\u001b[K';

/** A terminal that keeps what it is sent. */
function terminal(columns?: number): { written: string[]; write(text: string): void; columns?: number } {
  const written: string[] = [];
  return { written, write: (text) => void written.push(text), ...(columns === undefined ? {} : { columns }) };
}

const result = (name: string, outcome: TargetResult['outcome']): TargetResult => ({
  name,
  outcome,
  migrations: [],
  durationMs: 1,
  ...(outcome === 'skipped' ? { skippedBecause: 'fail-fast' as const } : {}),
});

test('targets that never started are not counted as failed or done', async () => {
  const screen = terminal(200);
  const live = new LiveProgress(screen, 4);
  live.onEvent({ type: 'started', name: 'a' });
  live.onEvent({ type: 'finished', result: result('a', 'failed') });
  live.onEvent({ type: 'started', name: 'b' });
  live.onEvent({ type: 'file', name: 'b', path: 'migrations/001_x.sql' });
  live.onEvent({ type: 'finished', result: result('c', 'skipped') });
  live.onEvent({ type: 'finished', result: result('d', 'skipped') });
  await sleep(250);
  live.close();
  assert.equal(screen.written.at(-2), `${CLEAR}targets: 1/4 done, 1 failed, 2 not started, 1 running: b 001_x.sql`);
  assert.equal(screen.written.at(-1), CLEAR);
});

test('the line fits the terminal, and a terminal that reports no width is taken as 80 columns', async () => {
  const names = Array.from({ length: 12 }, (_, index) => `tenant_${index}`);
  for (const [columns, width] of [[40, 39], [12, 11], [0, 79], [undefined, 79]] as const) {
    const screen = terminal(columns);
    const live = new LiveProgress(screen, names.length);
    for (const name of names) live.onEvent({ type: 'started', name });
    await sleep(150);
    live.close();
    const line = (screen.written.at(-2) ?? '').replace(CLEAR, '');
    assert.equal(line.length, width, `${String(columns)} columns: ${line}`);
    assert.match(line, /^targets: 0\/12 done, 0 failed, 12 runni.*…$|^targets: 0…$/);
  }
});

test('the line is fitted in columns: wide characters (CJK, emoji) take two, and none is cut in half', async () => {
  const names = Array.from({ length: 12 }, (_, index) => `顧客_${index}_👩‍💻`);
  const screen = terminal(60);
  const live = new LiveProgress(screen, names.length);
  for (const name of names) live.onEvent({ type: 'started', name });
  await sleep(150);
  live.close();
  const line = (screen.written.at(-2) ?? '').replace(CLEAR, '');
  assert.match(line, /^targets: 0\/12 done, 0 failed, 12 running: 顧客_0_👩‍💻.*…$/u);
  const columns = [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(line)].reduce(
    (sum, { segment }) => sum + (/[\u3000-\u9fff\u{1f300}-\u{1faff}]/u.test(segment) ? 2 : 1),
    0,
  );
  assert.ok(columns <= 59 && columns >= 58, `${columns} columns: ${line}`);
  assert.ok(!line.includes('\u200d…') && !/[\ud800-\udbff]…$/.test(line), `a character cut in half: ${line}`);
});
