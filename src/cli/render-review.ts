/**
 * `up --dry-run --format markdown|github`: what a pull request's reviewers read. Markdown for a comment on
 * the pull request (a verdict, then each file with its findings and its SQL folded away); GitHub workflow
 * commands for the annotations that appear on the diff's lines.
 */
import type { Problem } from '../core/errors.js';
import type { Finding } from '../core/finding.js';
import type { Plan, TraceReport } from '../migrator-types.js';
import { counted } from './render.js';

export const REVIEW_FORMATS = ['sql', 'markdown', 'github'] as const;
export type ReviewFormat = (typeof REVIEW_FORMATS)[number];

/** What the dry run found: the plan, or the problems that stopped it; the trace when one ran. */
export interface Review {
  readonly plan?: Plan;
  readonly problems: readonly Problem[];
  readonly trace?: TraceReport;
  /** Lint warnings stop the run (--strict), as do trace findings. */
  readonly strict: boolean;
}

interface Verdict {
  readonly mark: '✅' | '⚠️' | '❌';
  readonly line: string;
}

function findingsOf(review: Review): Finding[] {
  return [...(review.plan?.findings ?? []), ...(review.trace?.findings ?? [])];
}

function stops(review: Review, finding: Finding): boolean {
  return review.strict || finding.severity === 'error';
}

function verdictOf(review: Review): Verdict {
  const findings = findingsOf(review);
  const stopping = findings.filter((finding) => stops(review, finding));
  if (review.problems.length > 0 || !review.plan) return { mark: '❌', line: `up would stop with nothing applied: ${counted(review.problems.length, 'problem')}` };
  const files = counted(review.plan.steps.length, 'migration');
  if (stopping.length > 0) return { mark: '❌', line: `up would stop with nothing applied: ${counted(stopping.length, 'finding')} ${review.strict ? 'under --strict' : 'set to "error"'}` };
  if (review.plan.steps.length === 0) return { mark: '✅', line: 'nothing to apply' };
  if (findings.length > 0) return { mark: '⚠️', line: `${files} would apply, with ${counted(findings.length, 'warning')}` };
  return { mark: '✅', line: `${files} would apply, no findings` };
}

/** A code fence longer than any run of backticks in `text`, so a file's own ``` cannot close it. */
function fenced(text: string, info: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((run) => run[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${info}\n${text.endsWith('\n') ? text : `${text}\n`}${fence}\n`;
}

/** Inline code that survives backticks in a path or message. */
function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  return `${fence}${text.includes('`') ? ` ${text} ` : text}${fence}`;
}

/** Text in a list item: no HTML a comment would render, no line break that ends the item. */
function plain(text: string): string {
  return text.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c] as string).replace(/\s*\n\s*/g, ' ');
}

function findingItem(finding: Finding, stopping: boolean): string {
  const mark = stopping ? '❌' : '⚠️';
  return `- ${mark} ${code(`${finding.file}:${finding.line}:${finding.column}`)} **${finding.rule}** ${plain(finding.message)}\n  ${plain(finding.hint)}\n`;
}

function problemItem(problem: Problem): string {
  return `- ❌ ${plain(problem.message)}\n  ${plain(problem.hint)}\n`;
}

export function reviewMarkdown(review: Review): string {
  const verdict = verdictOf(review);
  const parts = [`### pgshift: ${verdict.mark} ${verdict.line}\n`];
  if (review.problems.length > 0) parts.push(`\n${review.problems.map(problemItem).join('')}`);
  const findings = findingsOf(review);
  for (const step of review.plan?.steps ?? []) {
    const own = findings.filter((finding) => finding.file === step.path);
    const kind = step.transaction ? '' : ' (no transaction)';
    const listed = own.length > 0 ? `\n${own.map((finding) => findingItem(finding, stops(review, finding))).join('')}` : '\nno findings\n';
    parts.push(`\n#### ${code(step.path)}${kind}\n${listed}\n<details><summary>SQL</summary>\n\n${fenced(step.text, 'sql')}\n</details>\n`);
  }
  return parts.join('');
}

/** Workflow command escaping: a property value may hold neither `,` nor `:`, and no value a line break. */
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function annotation(level: 'error' | 'warning' | 'notice', where: { file?: string | undefined; line?: number | undefined; col?: number | undefined; title?: string }, message: string): string {
  const properties = Object.entries(where)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${escapeProperty(String(value))}`);
  return `::${level}${properties.length > 0 ? ` ${properties.join(',')}` : ''}::${escapeData(message)}\n`;
}

export function reviewAnnotations(review: Review): string {
  const lines = [
    ...review.problems.map((problem) => annotation('error', { file: problem.file, line: problem.line, title: `pgshift ${problem.code}` }, `${problem.message}\nhint: ${problem.hint}`)),
    ...findingsOf(review).map((finding) =>
      annotation(stops(review, finding) ? 'error' : 'warning', { file: finding.file, line: finding.line, col: finding.column, title: `pgshift ${finding.rule}` }, `${finding.message}\nhint: ${finding.hint}`),
    ),
  ];
  const verdict = verdictOf(review);
  lines.push(annotation(verdict.mark === '❌' ? 'error' : 'notice', { title: 'pgshift up' }, verdict.line));
  return lines.join('');
}
