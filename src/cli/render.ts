/**
 * Results into words: the status table, JSON answers, problem lists and error blocks. Pure formatting;
 * main.ts decides where each string goes.
 */
import type { PgshiftError, Problem } from '../core/errors.js';
import type { StatusEntry } from '../core/types.js';
import type { RepeatableEntry } from '../core/plan-repeatables.js';
import type { LintResult } from '../lint/lint.js';
import type { Plan, RepairResult, VerifyResult } from '../migrator-types.js';

/**
 * A text on one line, whatever a name from the server holds: a newline in a quoted name would otherwise
 * break a table's row, or end a `--` comment of a printed script and start a statement of the name's choosing.
 */
export function oneLine(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]/g, (character) => JSON.stringify(character).slice(1, -1));
}

/** "1 difference", "3 differences". */
export function counted(count: number, what: string): string {
  return `${count} ${what}${count === 1 ? '' : 's'}`;
}

export function statusTable(entries: readonly StatusEntry[]): string {
  if (entries.length === 0) return 'no migrations found\n';
  const rows = entries.map((entry) => [
    String(entry.version),
    entry.name,
    entry.progress ? `${entry.state} (${entry.progress.done}/${entry.progress.total})` : entry.outOfOrder ? `${entry.state} (out of order)` : entry.state,
    entry.appliedAt ? formatTime(entry.appliedAt) : '-',
    entry.executionMs === undefined ? '-' : String(entry.executionMs),
    entry.hasRollback ? 'yes' : 'no',
  ]);
  const notes = entries
    .filter((entry) => entry.progress)
    .map(
      (entry) =>
        `version ${entry.version} stopped after statement ${entry.progress?.done} of ${entry.progress?.total}${
          entry.progress?.error ? `: ${entry.progress.error}` : ''
        }\n  up resumes it at statement ${(entry.progress?.done ?? 0) + 1}; down reverts it with its rollback\n`,
    );
  return `${table(['version', 'name', 'state', 'applied at', 'ms', 'rollback'], rows, [0, 4])}${notes.length > 0 ? `\n${notes.join('')}` : ''}`;
}

/** The repeatable files under the migrations' table: what each is, and whether up would run it again. */
export function repeatableTable(entries: readonly RepeatableEntry[]): string {
  if (entries.length === 0) return '';
  const states: Readonly<Record<RepeatableEntry['state'], string>> = { applied: 'applied', pending: 'pending', changed: 'changed (runs again)', missing: 'missing (file gone)' };
  const rows = entries.map((entry) => [entry.name, states[entry.state], entry.appliedAt ? formatTime(entry.appliedAt) : '-', entry.executionMs === undefined ? '-' : String(entry.executionMs)]);
  return `\n${table(['repeatable', 'state', 'applied at', 'ms'], rows, [3])}`;
}

export function statusJson(entries: readonly StatusEntry[]): string {
  return asJson(
    entries.map((entry) => ({
      version: entry.version,
      name: entry.name,
      state: entry.state,
      appliedAt: entry.appliedAt?.toISOString() ?? null,
      executionMs: entry.executionMs ?? null,
      checksum: entry.checksum,
      hasRollback: entry.hasRollback,
      ...(entry.outOfOrder ? { outOfOrder: true } : {}),
      pgshiftVersion: entry.pgshiftVersion ?? null,
      gitCommit: entry.gitCommit ?? null,
      ...(entry.progress ? { progress: { done: entry.progress.done, total: entry.progress.total, error: entry.progress.error ?? null } } : {}),
    })),
  );
}

/** Any answer as JSON for --json: indented, one trailing newline. */
export function asJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** A dry run: the SQL itself, runnable by psql; a comment when there is nothing to do. */
function planText(plan: Plan): string {
  return plan.sql === '' ? `-- pgshift: nothing to ${plan.direction === 'up' ? 'apply' : 'revert'}\n` : plan.sql;
}

/** A dry run's answer: the SQL, or with --json the plan as data. */
export function planOutput(plan: Plan, json: boolean): string {
  return json ? asJson(plan) : planText(plan);
}

export function verifyText(results: readonly VerifyResult[]): string {
  if (results.length === 0) return 'nothing to verify: no pending migrations (use --all or --migration PATH)\n';
  return results
    .map((result) => `${result.outcome.toUpperCase()}  ${result.path}\n${result.problems.map((problem) => `  - ${problem}\n`).join('')}`)
    .join('');
}

/**
 * What repair found and did: each changed file with what is known about the change, then one summary line.
 * A dry run prints it as SQL comments above the SQL it would send, so the output stays a psql script.
 */
export function repairText(result: RepairResult, dryRun: boolean, force: boolean): string {
  const short = (checksum: string): string => `${checksum.slice(0, 12)}…`;
  const blocks = result.changes.map((change) => {
    const what =
      change.kind === 'unknown'
        ? `the text it was applied with is unknown (${change.unknownBecause})`
        : `${change.kind === 'statements' ? 'statements changed' : 'comments and whitespace only'}, compared with commit ${change.appliedCommit}`;
    const force = change.needsForce ? '; needs --force' : '';
    const diff = change.diff ? change.diff.replace(/\n$/, '').replace(/^/gm, '  ') + '\n' : '';
    return `${change.path} (version ${change.version}): ${what}${force}\n  recorded ${short(change.recordedChecksum)}  now ${short(change.currentChecksum)}\n${diff}`;
  });
  const count = `the current checksum of ${result.changes.length} applied migration(s)`;
  const refused = !force && result.changes.some((change) => change.needsForce);
  const summary =
    result.changes.length === 0
      ? 'nothing to repair: every applied migration matches its file\n'
      : dryRun
        ? `would record ${count}${refused ? ', but only with --force' : ''}\n`
        : `recorded ${count}\n`;
  const report = `${blocks.join('')}${summary}`;
  return dryRun ? `${report.replace(/^/gm, '-- ').replace(/-- $/, '')}${result.sql}` : report;
}

export function lintText(result: LintResult): string {
  const lines = [
    ...result.problems.map((problem) => `${problem.message}\n  hint: ${problem.hint}`),
    ...result.findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.rule} ${f.message}${f.severity === 'error' ? ' (error)' : ''}\n  hint: ${f.hint}`),
  ];
  return lines.length === 0 ? 'no findings\n' : `${lines.join('\n')}\n`;
}

export function problemsText(problems: readonly Problem[]): string {
  return problems.map((problem) => `${problem.message}\n  hint: ${problem.hint}\n`).join('');
}

/** The block a person reads: what failed, where (with the line and a caret), what the server said, what to do. */
export function errorText(error: PgshiftError): string {
  const lines = [`error: ${error.message}`];
  const { sql } = error;
  if (sql?.snippet && sql.line !== undefined) {
    const [code = '', caret = ''] = sql.snippet.split('\n');
    const gutter = String(sql.line).length;
    lines.push(`  ${String(sql.line)} | ${code}`, `  ${' '.repeat(gutter)} | ${caret}`);
  }
  if (sql?.sqlState) lines.push(`  SQLSTATE ${sql.sqlState}`);
  if (sql?.detail) lines.push(`  detail: ${sql.detail}`);
  if (sql?.serverHint) lines.push(`  server hint: ${sql.serverHint}`);
  if (sql?.where) lines.push(`  context: ${sql.where.replaceAll('\n', '\n    ')}`);
  if (error.problems.length > 1) {
    for (const problem of error.problems) lines.push(`  - ${problem.message}`, `    hint: ${problem.hint}`);
  }
  if (error.target) lines.push(`  database: ${error.target}`);
  if (error.hint) lines.push(`  hint: ${error.hint}`);
  return `${lines.join('\n')}\n`;
}

/** The same error as structured fields, for a JSON log line. */
export function errorFields(error: PgshiftError, exitStatus: number): Record<string, unknown> {
  return {
    code: error.code,
    exitStatus,
    ...(error.hint ? { hint: error.hint } : {}),
    ...(error.target ? { target: error.target } : {}),
    ...(error.sql ? { sql: error.sql } : {}),
    ...(error.problems.length > 0 ? { problems: error.problems } : {}),
  };
}

function formatTime(date: Date): string {
  return date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function table(header: readonly string[], rows: readonly string[][], rightAligned: readonly number[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return rightAligned.includes(column) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
