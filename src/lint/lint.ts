/**
 * Lint a set of files: parse each with PostgreSQL's parser, run the rules, then apply the project's
 * configuration and the per-statement suppressions (`-- pgshift:allow rule-id reason`).
 */
import { allowsBetween } from '../core/allow.js';
import type { Problem } from '../core/errors.js';
import type { Finding } from '../core/finding.js';
import { lineColumnAt } from '../core/position.js';
import { problemAt, type ScriptAnalysis } from '../core/file-analysis.js';
import { scanSql } from '../core/sql-lexer.js';
import type { SqlFile } from '../core/types.js';
import { parseFile, type FileParse } from './parse.js';
import type { Severity } from './rule.js';
import { RULE_BY_ID, RULE_IDS, type RuleId } from './rules/index.js';
import { TRACE_RULE_IDS, type TraceRuleId } from './trace-rules.js';
import { checkStatements, type StatementNode } from './walk.js';

export type { Severity } from './rule.js';

/** The project's choices, from package.json `"pgshift": { "lint": { "rules": { "rule-id": "off" } } }`. */
export type LintConfig = Readonly<Partial<Record<RuleId | TraceRuleId, Severity>>>;

export type LintFinding = Finding<RuleId>;

export interface LintResult {
  readonly findings: readonly LintFinding[];
  /** Things that stop lint itself: syntax errors, suppressions with no reason or an unknown rule. */
  readonly problems: readonly Problem[];
}

/** The rules a `-- pgshift:allow` may name: lint's, and the lock trace's (which reads the same comments). */
const ALLOWABLE: readonly string[] = [...RULE_IDS, ...TRACE_RULE_IDS];

/**
 * The rules the comments between `from` and `to` allow; an allow naming no known rule, or giving no reason,
 * is a problem instead (a typo must not silence nothing while looking as if it did).
 */
function checkedAllows(file: SqlFile, from: number, to: number, problems: Problem[]): Set<string> {
  const rules = new Set<string>();
  for (const { rule, reason, at } of allowsBetween(file.text, from, to)) {
    if (!rule || !ALLOWABLE.includes(rule)) {
      problems.push(problemAt(file, at, 'LINT_SUPPRESSION', `pgshift:allow names ${rule ? `an unknown rule "${rule}"` : 'no rule'}`, `the rules are: ${ALLOWABLE.join(', ')}`));
    } else if (!reason) {
      problems.push(problemAt(file, at, 'LINT_SUPPRESSION', `pgshift:allow ${rule} gives no reason`, `say why it is safe here: -- pgshift:allow ${rule} the table is empty in every environment`));
    } else {
      rules.add(rule);
    }
  }
  return rules;
}

/**
 * The suppression problems of a file read as the lexer splits it, without PostgreSQL's parser: what the
 * lock trace checks before it honours the file's allows.
 */
export function suppressionProblems(file: SqlFile, analysis: ScriptAnalysis): Problem[] {
  const problems: Problem[] = [];
  analysis.statements.forEach((statement, index) => void checkedAllows(file, analysis.statements[index - 1]?.end ?? 0, statement.start, problems));
  return problems;
}

/** `parsed`: the file's parse when validation already made it (each file is parsed once per run). */
export async function lintFiles(
  files: ReadonlyArray<{ file: SqlFile; analysis: ScriptAnalysis; parsed?: FileParse | undefined }>,
  config: LintConfig = {},
): Promise<LintResult> {
  const findings: LintFinding[] = [];
  const problems: Problem[] = [];
  for (const { file, analysis, parsed: given } of files) {
    const problem = (at: number, code: Problem['code'], message: string, hint: string): void => void problems.push(problemAt(file, at, code, message, hint));
    const parsed = given ?? (await parseFile(file.text));
    if ('tooLargeMb' in parsed) {
      // Bulk data, not schema changes worth linting; validation has already said so when it parsed.
      if (!given) problem(0, 'LINT_SKIPPED', `not linted: ${parsed.tooLargeMb} MB is more than the lint parser takes`, 'keep schema changes and bulk data in separate migrations');
      continue;
    }
    if ('error' in parsed) {
      problem(parsed.at, 'SYNTAX_ERROR', parsed.error, 'fix the statement; PostgreSQL would refuse it too');
      continue;
    }
    const statements: StatementNode[] = parsed.statements.map((statement) => ({
      node: statement.node,
      start: statement.from + (scanSql(file.text.slice(statement.from, statement.to)).statements[0]?.start ?? 0),
    }));
    // pgshift new's template: validation refuses to run it until it is written, so it is not empty-file yet.
    if (statements.length === 0 && analysis.directives.unwritten) continue;

    // Suppressions sit in the comments before the statement they allow.
    const allowed = statements.map((statement, index) => {
      const from = index === 0 ? 0 : (parsed.statements[index]?.from ?? statement.start);
      return checkedAllows(file, from, statement.start, problems);
    });

    for (const raw of checkStatements(statements, { path: file.path, kind: file.kind, transaction: analysis.directives.transaction })) {
      if (allowed[raw.statement]?.has(raw.rule)) continue;
      const result = finding(file, statements[raw.statement]?.start ?? 0, raw.rule, raw.message, config);
      if (result) findings.push(result);
    }
  }
  return { findings, problems };
}

/** A finding as configured, or undefined when the project turned its rule off. */
function finding(file: SqlFile, at: number, rule: RuleId, message: string, config: LintConfig): LintFinding | undefined {
  const info = RULE_BY_ID[rule];
  const severity = config[rule] ?? info.severity;
  if (severity === 'off') return undefined;
  const { line, column } = lineColumnAt(file.text, at);
  return {
    rule,
    severity,
    file: file.path,
    line,
    column,
    message,
    hint: `${info.why}; instead: ${info.safe}`,
  };
}
