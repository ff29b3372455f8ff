/** trace's answer for a person: a table per file (what each statement takes, holds and does), then the findings. */
import { describeSize, formatBytes } from '../core/sizes.js';
import { blocksWrites, isTable, lockName, lockRank, locksTaken, relationKey, type CatalogChange, type HeldLock, type StatementTrace, type TraceFileReport, type TraceHold, type TraceReport } from '../core/trace-types.js';
import { counted, oneLine } from './render.js';

/**
 * What a person needs to see: every lock on a table, and on an index only a lock that blocks writes (an
 * UPDATE's ROW EXCLUSIVE on each index of its table says nothing more). `--json` keeps them all.
 */
const worthShowing = ({ relation, mode }: { relation: HeldLock['relation']; mode: HeldLock['mode'] }): boolean => isTable(relation) || blocksWrites(mode);

export function traceText(report: TraceReport): string {
  if (report.files.length === 0) return 'nothing to trace: no pending migrations (use --all or --migration PATH)\n';
  const weighed = report.weighed ? `locks weighed by the target's table sizes (findings on tables of ${formatBytes(report.big)} and more)` : 'no target sizes: every lock that blocks writes on an existing table is a finding';
  const head = `trace: ${counted(report.files.length, 'migration')} run statement by statement on a scratch copy of the schema; ${weighed}\n`;
  return `${head}${report.files.map(fileText).join('')}\n${findingsText(report)}`;
}

/** The same, as comments after a dry run's script, which stays a script psql runs. */
export function traceComments(report: TraceReport): string {
  return `\n${traceText(report).replace(/\n$/, '').replace(/^/gm, '-- ')}\n`;
}

function fileText(file: TraceFileReport): string {
  const how = file.transaction ? 'one transaction' : 'no transaction: each statement commits on its own';
  // In a no-transaction file each statement commits: whatever it holds, it took.
  const rows = file.statements.map((statement, index) => statementRow(statement, file.transaction ? file.statements[index - 1] : undefined));
  const table = columns([['#', 'line', 'statement', 'takes', 'strongest held', 'does'], ...rows]);
  const shown = file.holds.filter(worthShowing);
  const holds = shown.length === 0 ? '  takes no lock that matters on a relation that existed before it\n' : shown.map((hold) => `  ${holdText(hold)}\n`).join('');
  return `\n${oneLine(file.path)} (${how}, ${counted(file.statements.length, 'statement')})\n${table}${holds}`;
}

function statementRow(statement: StatementTrace, before: StatementTrace | undefined): string[] {
  const taken = locksTaken(before?.locks ?? [], statement.locks).filter(worthShowing);
  const takes = statement.observed === 'unobserved' ? 'not seen (ran alone)' : taken.map((lock) => `${lockName(lock.mode)} ${oneLine(relationKey(lock.relation))}`).join(', ');
  return [String(statement.number), String(statement.line), oneLine(statement.summary), takes || '-', strongest(statement.locks), oneLine(statement.changes.map(changeText).join('; ')) || '-'];
}

function strongest(locks: readonly HeldLock[]): string {
  // The strongest of all, indexes included: it is the one that decides who waits.
  const top = [...locks].sort((a, b) => lockRank(b.mode) - lockRank(a.mode))[0];
  return top ? lockName(top.mode) : '-';
}

function changeText(change: CatalogChange): string {
  switch (change.kind) {
    case 'rewrite': return `rewrites ${relationKey(change.relation)}`;
    case 'index-created': return `builds index ${change.index}`;
    case 'index-dropped': return `drops index ${change.index}`;
    case 'column-added': return `adds column ${change.column}`;
    case 'column-type': return `${change.column}: ${change.from} → ${change.to}`;
    case 'column-dropped': return `drops column ${change.column}`;
    case 'not-null-set': return `checks every row of ${relationKey(change.table)}: ${change.column} NOT NULL`;
    case 'constraint-added': return change.validated ? `checks every row of ${relationKey(change.table)}: ${change.type} ${change.constraint}` : `adds ${change.type} ${change.constraint} NOT VALID`;
    case 'constraint-validated': return `validates ${change.constraint} on ${relationKey(change.table)}`;
  }
}

function holdText(hold: TraceHold): string {
  const size = hold.size === undefined ? '' : hold.size === 'absent' ? ' (not on the target)' : ` (${describeSize(hold.size)})`;
  const span = hold.untilCommit ? `from statement ${hold.from} to commit (${counted(hold.to - hold.from + 1, 'statement')})` : `for statement ${hold.from} only`;
  const kind = hold.relation.kind === 'table' ? '' : ` ${hold.relation.kind}`;
  return `${lockName(hold.mode)} on${kind} ${oneLine(relationKey(hold.relation))}${size} held ${span}`;
}

function findingsText(report: TraceReport): string {
  const findings = report.findings.length === 0
    ? 'no findings\n'
    : `${counted(report.findings.length, 'finding')}:\n${report.findings.map((f) => `  ${oneLine(f.file)}:${f.line}:${f.column} ${f.rule} ${oneLine(f.message)}\n    ${f.hint}\n`).join('')}`;
  const allowed = report.allowed.map((f) => `  ${oneLine(f.file)}:${f.line}:${f.column} ${f.rule} ${oneLine(f.message)}\n    allowed: ${oneLine(f.reason)}\n`).join('');
  return `${findings}${allowed === '' ? '' : `allowed (${report.allowed.length}):\n${allowed}`}`;
}

/** Rows as aligned columns, two spaces apart, indented by two; the last column is not padded. */
function columns(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, index) => Math.max(...rows.map((row) => (row[index] ?? '').length))) ?? [];
  return rows.map((row) => `  ${row.map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0))).join('  ')}\n`).join('');
}
