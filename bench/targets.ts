/**
 * The issue's targets for pgshift, judged on this run's figures. The warm parse cache is the figure judged (a
 * project's usual state); the cold one is shown beside it.
 */
import type { IssueTable, Phase } from './issue.js';
import type { Compared } from './rounds.js';
import type { Row } from './support.js';

export interface Target {
  readonly name: string;
  /** Undefined when a figure the target needs was not measured. */
  readonly pass: boolean | undefined;
  readonly detail: string;
}

const x = (compared: Compared): string => `${compared.ratio.toFixed(2)}x (${compared.low.toFixed(2)}-${compared.high.toFixed(2)})`;
const cell = (table: IssueTable, phase: Phase, tool: string): Compared | undefined => table.cells.get(phase)?.get(tool);

/** T1: no-op up and status with N applied within 40 ms of the bare floor (median of per-round differences). */
function t1(table: IssueTable): Target[] {
  return (['noop', 'status'] as const).map((phase) => {
    const [warm, cold, node] = [cell(table, phase, 'pgshift warm'), cell(table, phase, 'pgshift cold'), cell(table, phase, 'node -e 0')];
    const name = `T1 ${phase === 'noop' ? 'no-op up' : 'status'}, ${table.count} applied <= bare floor + 40 ms`;
    if (warm === undefined) return { name, pass: undefined, detail: 'not measured' };
    const detail = `warm +${warm.overMs.toFixed(0)} ms, cold +${cold?.overMs.toFixed(0) ?? '-'} ms over the bare floor's ${warm.floorMs.toFixed(0)} ms (node -e 0: ${node?.ms.toFixed(0) ?? '-'} ms)`;
    return { name, pass: warm.overMs <= 40, detail };
  });
}

/** T2: apply N from empty within 1.05x psql and faster than dbmate's binary in the same rounds. */
function t2(table: IssueTable): Target {
  const [warm, cold] = [cell(table, 'apply', 'pgshift warm'), cell(table, 'apply', 'pgshift cold')];
  const dbmate = table.against('apply', 'pgshift warm', 'dbmate');
  const name = `T2 apply ${table.count} from empty <= 1.05x psql and below dbmate`;
  if (warm === undefined) return { name, pass: undefined, detail: 'not measured' };
  const versus = dbmate === undefined ? 'dbmate not measured' : `${x(dbmate)} of dbmate`;
  const detail = `warm ${x(warm)} of psql, ${versus}; cold ${cold === undefined ? '-' : x(cold)} of psql${nodeBound(table, 'apply')}`;
  return { name, pass: dbmate === undefined ? undefined : warm.ratio <= 1.05 && dbmate.ratio < 1, detail };
}

/** T3: down --all of N within 1.1x psql's rollbacks. */
function t3(table: IssueTable): Target {
  const [warm, cold] = [cell(table, 'down', 'pgshift warm'), cell(table, 'down', 'pgshift cold')];
  const name = `T3 down --all of ${table.count} <= 1.1x psql`;
  if (warm === undefined) return { name, pass: undefined, detail: 'not measured' };
  return { name, pass: warm.ratio <= 1.1, detail: `warm ${x(warm)}, cold ${cold === undefined ? '-' : x(cold)}${nodeBound(table, 'down')}` };
}

/** What a bare Node script sending psql's own script takes (bench/minimal-script.mjs): the bound under T2 and T3. */
function nodeBound(table: IssueTable, phase: 'apply' | 'down'): string {
  const bare = cell(table, phase, 'bare node');
  return bare === undefined ? '' : `; a bare Node script sending psql's files alone: ${x(bare)}`;
}

/** T4: no-op up with the big history (row b) within 1.5x the bare floor and 100 MB of peak RSS. */
function t4(rows: readonly Row[]): Target[] {
  const b = rows.find((row) => row.what.startsWith('(b)'));
  if (b === undefined) return [];
  const rss = b.result.rssMiB ?? Number.NaN;
  const reading = rows.find((row) => row.what.startsWith('(b) the floor reading'));
  const bound = reading === undefined ? '' : `; the floor reading every file alone: ${x(reading.result)}`;
  return [{ name: `T4 ${b.what.slice(4)}: <= 1.5x bare floor, peak RSS <= 100 MB`, pass: b.result.ratio <= 1.5 && rss <= 100, detail: `${x(b.result)}, ${rss.toFixed(0)} MB${bound}` }];
}

export function targets(small: IssueTable | undefined, large: IssueTable | undefined, rows: readonly Row[]): Target[] {
  return [
    ...(small === undefined ? [] : t1(small)),
    ...[small, large].flatMap((table) => (table === undefined ? [] : [t2(table)])),
    ...(small === undefined ? [] : [t3(small)]),
    ...t4(rows),
  ];
}
