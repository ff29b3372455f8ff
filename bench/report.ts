/**
 * The bench's output: the rows (a)-(h), the issue's tables and the targets, as plain aligned text or, with
 * --markdown, as markdown tables for the README headed by the machine they were measured on.
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism, cpus, release, type } from 'node:os';
import { FLOOR, PHASES, type IssueTable, type Phase } from './issue.js';
import { peerVersion } from './peers.js';
import type { Compared } from './rounds.js';
import type { Row } from './support.js';
import type { Target } from './targets.js';

type Grid = string[][];

const ms = (n: number): string => `${n.toFixed(0)} ms`;
const ratio = (c: Compared): string => `${c.ratio.toFixed(2)}x`;
const spread = (c: Compared): string => `${c.low.toFixed(2)}-${c.high.toFixed(2)}`;
const usage = (c: Compared): string => (c.rssMiB === undefined ? '-' : `${c.rssMiB.toFixed(0)} MB, ${(c.cpuMs ?? 0).toFixed(0)} ms`);

function rowsGrid(rows: readonly Row[]): Grid {
  const head = ['scenario', 'pgshift', 'floor', 'ratio', 'spread', 'target', 'peak RSS, client CPU', 'floor is'];
  return [head, ...rows.map((row) => [row.what, ms(row.result.ms), ms(row.result.floorMs), ratio(row.result), spread(row.result), row.target, usage(row.result), row.floor])];
}

const PHASE_NAMES: Record<Phase, string> = { apply: 'apply from empty', noop: 'no-op up, all applied', status: 'status, all applied', down: 'down of all' };

/** Phases down, tools across: the median time and ratio, the spread of ratios, and for node tools RSS and CPU. */
function issueGrid(table: IssueTable): Grid {
  const grid: Grid = [[`${table.count} migrations`, ...table.columns]];
  for (const phase of PHASES) {
    const cells = table.columns.map((tool) => table.cells.get(phase)?.get(tool));
    const line = (label: string, show: (c: Compared) => string): string[] => [label, ...cells.map((c) => (c === undefined ? '-' : show(c)))];
    grid.push(line(`${PHASE_NAMES[phase]} (/${FLOOR[phase]})`, (c) => `${ms(c.ms)} ${ratio(c)}`), line('  spread of ratios', spread), line('  peak RSS, client CPU', usage));
  }
  return grid;
}

/** Aligned columns: text to the left (the first column, and the last when it is prose), figures to the right. */
function plain(grid: Grid, proseLast = false): string {
  const widths = (grid[0] ?? []).map((_, i) => Math.max(...grid.map((line) => (line[i] ?? '').length)));
  const left = (i: number, line: readonly string[]): boolean => i === 0 || (proseLast && i === line.length - 1);
  return grid.map((line) => line.map((text, i) => (left(i, line) ? text.padEnd(widths[i] ?? 0) : text.padStart(widths[i] ?? 0))).join('  ').trimEnd()).join('\n');
}

function markdown(grid: Grid): string {
  const lines = grid.map((line) => `| ${line.map((text) => text.trim()).join(' | ')} |`);
  return [lines[0], `|${(grid[0] ?? []).map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...lines.slice(1)].join('\n');
}

/** CPU, cores, OS, Node, PostgreSQL, psql and the peers' versions, and the date. */
async function machine(versions: { postgres: string; psql: string }): Promise<string> {
  const os = (await readFile('/etc/os-release', 'utf8').catch(() => '')).match(/^PRETTY_NAME="?([^"\n]*)/m)?.[1];
  const peers = await Promise.all(['dbmate', 'node-pg-migrate', 'postgrator-cli', 'postgrator', 'pg'].map(async (name) => `${name} ${await peerVersion(name)}`));
  return [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus()[0]?.model ?? 'an unknown CPU'}, ${availableParallelism()} cores, ${os ?? type()} (${type()} ${release()}),`,
    `Node ${process.version}, PostgreSQL ${versions.postgres} (embedded), ${versions.psql}; ${peers.join(', ')}.`,
  ].join('\n');
}

/** One issue table as plain text, for stderr as soon as it is measured: a long run that fails later keeps it. */
export const plainIssueTable = (table: IssueTable): string => plain(issueGrid(table));

export interface Report {
  readonly rows: readonly Row[];
  readonly tables: readonly IssueTable[];
  readonly targets: readonly Target[];
  readonly runs: number;
  readonly versions: { postgres: string; psql: string };
}

const verdict = (target: Target): string => (target.pass === undefined ? 'n/a ' : target.pass ? 'PASS' : 'FAIL');

export async function render(report: Report, asMarkdown: boolean): Promise<string> {
  const table = (grid: Grid, proseLast = false): string => (asMarkdown ? markdown(grid) : plain(grid, proseLast));
  const notes = [
    `Times are medians of ${report.runs} rounds; ratios are the median of per-round ratios to the floor (spread: their least and greatest).`,
    'Each round runs every contender once, starting one further along each round. RSS and CPU are those of node processes.',
  ];
  const parts: string[] = asMarkdown ? [await machine(report.versions), ''] : [];
  parts.push(notes.join(asMarkdown ? ' ' : '\n'), '');
  if (report.rows.length > 0) parts.push(table(rowsGrid(report.rows), true), '');
  for (const issue of report.tables) {
    parts.push(table(issueGrid(issue)), '');
    const dbmate = !issue.columns.includes('dbmate')
      ? []
      : issue.cells.get('down')?.has('dbmate')
        ? [`dbmate's down is a shell loop of ${issue.count} \`dbmate rollback\` (it reverts one a command).`]
        : [`dbmate's down is not timed at ${issue.count}: a shell loop of that many \`dbmate rollback\` takes minutes a round.`];
    const missing = issue.missing.length === 0 ? [] : [`Left out: ${issue.missing.map((reason) => reason.split(':')[0]).join(', ')} (why: above the table, on stderr).`];
    parts.push([...dbmate, ...missing].join(asMarkdown ? ' ' : '\n'), '');
  }
  if (report.targets.length > 0) parts.push(table([['target', 'verdict', 'figures'], ...report.targets.map((t) => [t.name, verdict(t), t.detail])], true), '');
  return parts.join('\n');
}
