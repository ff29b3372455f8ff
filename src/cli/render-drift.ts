/** drift's answer for a person (grouped by object) and as a psql script (--sql). */
import type { DriftItem, DriftReport } from '../migrator-types.js';
import { counted, oneLine } from './render.js';

const WHERE: Readonly<Record<DriftReport['scratch'], string>> = {
  server: "in a scratch database on the target's server",
  embedded: 'on a scratch embedded server',
  database: 'in a scratch database on the --scratch-database server',
};

function rebuilt(report: DriftReport): string {
  return `its ${counted(report.replayed, 'applied migration')} (rebuilt ${WHERE[report.scratch]})`;
}

export function driftText(report: DriftReport): string {
  const head = report.drift
    ? `drift: ${counted(report.differences.length, 'difference')} between the database and ${rebuilt(report)}\n`
    : `no drift: the database matches ${rebuilt(report)}\n`;
  const cosmetic = report.cosmetic.length === 0 ? '' : `\ncosmetic (listed, not counted):\n${report.cosmetic.map((item) => `  ${oneLine(item.message)}\n`).join('')}`;
  return `${head}${grouped(report.differences)}${cosmetic}`;
}

function grouped(items: readonly DriftItem[]): string {
  const groups = new Map<string, DriftItem[]>();
  for (const item of items) groups.set(item.group, [...(groups.get(item.group) ?? []), item]);
  return [...groups].map(([group, members]) => `\n${oneLine(group)}\n${members.map((item) => `  ${oneLine(item.message)}\n`).join('')}`).join('');
}

/**
 * A script to review, never run by pgshift: each difference as a comment, then its statement or "by hand",
 * in one transaction, so a statement that fails (it may depend on a change left to a person) leaves nothing
 * half done.
 */
export function driftSql(report: DriftReport): string {
  const head = `-- pgshift drift --sql: what would bring the database back to ${rebuilt(report)}.\n-- Review it before running it; pgshift runs none of it. One transaction: all of it or none.\n`;
  if (!report.drift) return `${head}-- no drift: nothing to do\n`;
  const body = report.differences.map((item) => `\n-- ${oneLine(item.message)}\n${item.sql === null ? '-- by hand: not mechanical (it can lose data, or needs a decision)\n' : `${item.sql.replace(/;?\s*$/, ';')}\n`}`);
  const indexes = report.differences.some((item) => item.sql !== null && /\bCREATE (UNIQUE )?INDEX\b/.test(item.sql))
    ? '-- CREATE INDEX blocks writes to its table while it builds: on a large table, run it as CREATE INDEX CONCURRENTLY, outside this transaction.\n'
    : '';
  return `${head}${indexes}\nBEGIN;\n${body.join('')}\nCOMMIT;\n`;
}
