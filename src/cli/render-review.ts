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

/** What stopped the dry run: a problem it listed, or the error it failed with. */
export type Stop = Pick<Problem, 'message' | 'hint' | 'file' | 'line'> & { readonly code: string };

/** What the dry run found: the plan, or what stopped it; the trace when one ran. */
export interface Review {
  readonly plan?: Plan;
  readonly problems: readonly Stop[];
  readonly trace?: TraceReport;
  /** Lint warnings stop the run (--strict), as do trace findings. */
  readonly strict: boolean;
}

/**
 * A pull-request comment holds at most 65,536 characters: a file's SQL is shown while the review stays well
 * inside that, and one too big for it is named instead (the pull request's diff shows it).
 */
const SQL_SHOWN = { perFile: 20_000, total: 45_000 } as const;

interface Verdict {
  readonly mark: '✅' | '⚠️' | '❌';
  readonly line: string;
}

function findingsOf(review: Review): Finding[] {
  return [...(review.plan?.findings ?? []), ...(review.trace?.findings ?? [])].sort((a, b) => a.line - b.line || a.column - b.column);
}

function stops(review: Review, finding: Finding): boolean {
  return review.strict || finding.severity === 'error';
}

function verdictOf(review: Review): Verdict {
  const findings = findingsOf(review);
  const stopping = findings.filter((finding) => stops(review, finding));
  if (review.problems.length > 0 || !review.plan) return { mark: '❌', line: `up would stop with nothing applied: ${counted(review.problems.length, 'problem')}` };
  const repeatables = review.plan.repeatables?.length ?? 0;
  const files = `${counted(review.plan.steps.length, 'migration')}${repeatables === 0 ? '' : ` and ${counted(repeatables, 'repeatable file')}`}`;
  if (stopping.length > 0) {
    return { mark: '❌', line: `up would stop with nothing applied: ${counted(stopping.length, 'finding')} ${review.strict ? 'under --strict' : 'of rules set to "error"'}` };
  }
  if (review.plan.steps.length === 0 && repeatables === 0) return { mark: '✅', line: 'nothing to apply' };
  if (findings.length > 0) return { mark: '⚠️', line: `${files} would apply, with ${counted(findings.length, 'warning')}` };
  return { mark: '✅', line: `${files} would apply, no findings` };
}

/** A code fence longer than any run of backticks in `text`, so a file's own ``` cannot close it. */
function fenced(text: string, info: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((run) => run[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${info}\n${text.endsWith('\n') ? text : `${text}\n`}${fence}\n`;
}

/** Inline code that survives backticks in a path: delimited by a longer run than any inside it. */
function code(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((run) => run[0].length));
  const fence = '`'.repeat(longest + 1);
  return longest === 0 ? `${fence}${text}${fence}` : `${fence} ${text} ${fence}`;
}

/**
 * Text read as text: every ASCII punctuation mark backslash-escaped, as CommonMark allows, so that nothing
 * in a message or a name (an identifier is the file author's) renders as HTML, a link, an image, emphasis
 * or a mention; and on one line, so that it cannot end its list item.
 */
function plain(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/[!-/:-@[-`{-~]/g, '\\$&');
}

function findingItem(finding: Finding, stopping: boolean): string {
  const mark = stopping ? '❌' : '⚠️';
  return `- ${mark} ${code(`${finding.file}:${finding.line}:${finding.column}`)} **${finding.rule}** ${plain(finding.message)}\n  ${plain(finding.hint)}\n`;
}

function problemItem(problem: Stop): string {
  return `- ❌ ${plain(problem.message)}\n  ${plain(problem.hint)}\n`;
}

export function reviewMarkdown(review: Review): string {
  const verdict = verdictOf(review);
  const parts = [`### pgshift: ${verdict.mark} ${verdict.line}\n`];
  if (review.problems.length > 0) parts.push(`\n${review.problems.map(problemItem).join('')}`);
  const findings = findingsOf(review);
  let shown = 0;
  const repeatables = (review.plan?.repeatables ?? []).map((file) => ({ ...file, transaction: true, repeatable: true }));
  for (const step of [...(review.plan?.steps ?? []), ...repeatables]) {
    const own = findings.filter((finding) => finding.file === step.path);
    const kind = 'repeatable' in step ? ' (repeatable)' : step.transaction ? '' : ' (no transaction)';
    const listed = own.length > 0 ? `\n${own.map((finding) => findingItem(finding, stops(review, finding))).join('')}` : '\nno findings\n';
    const fits = step.text.length <= SQL_SHOWN.perFile && shown + step.text.length <= SQL_SHOWN.total;
    shown += fits ? step.text.length : 0;
    const sql = fits ? fenced(step.text, 'sql') : `${counted(step.text.length, 'character')}: too long to show here; the pull request's diff has it\n`;
    parts.push(`\n#### ${code(step.path)}${kind}\n${listed}\n<details><summary>SQL</summary>\n\n${sql}\n</details>\n`);
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

/** `filePath`: a file's path as the runner finds it (from the workspace, where the working directory may be below it). */
export function reviewAnnotations(review: Review, filePath: (path: string) => string = (path) => path): string {
  const at = (path: string | undefined): string | undefined => (path === undefined ? undefined : filePath(path));
  const lines = [
    ...review.problems.map((problem) => annotation('error', { file: at(problem.file), line: problem.line, title: `pgshift ${problem.code}` }, `${problem.message}\nhint: ${problem.hint}`)),
    ...findingsOf(review).map((finding) =>
      annotation(stops(review, finding) ? 'error' : 'warning', { file: at(finding.file), line: finding.line, col: finding.column, title: `pgshift ${finding.rule}` }, `${finding.message}\nhint: ${finding.hint}`),
    ),
  ];
  const verdict = verdictOf(review);
  lines.push(annotation(verdict.mark === '❌' ? 'error' : 'notice', { title: 'pgshift up' }, verdict.line));
  return lines.join('');
}
