/**
 * Lint a set of files: parse each with PostgreSQL's parser, run the rules, then apply the project's
 * configuration and the per-statement suppressions (`-- pgshift:allow rule-id reason`).
 */
import type { Problem } from '../core/errors.js';
import type { Finding } from '../core/finding.js';
import { lineColumnAt } from '../core/position.js';
import { problemAt, type ScriptAnalysis } from '../core/file-analysis.js';
import type { ScriptFile } from '../core/types.js';
import { checkedAllows, lintParsed, type FileLint, type LintProblem } from './file-lint.js';
import { parseFile, type FileParse } from './parse.js';
import type { Severity } from './rule.js';
import { RULE_BY_ID, type RuleId } from './rules/index.js';
import type { TraceRuleId } from './trace-rules.js';

export type { Severity } from './rule.js';

/** The project's choices, from package.json `"pgshift": { "lint": { "rules": { "rule-id": "off" } } }`. */
export type LintConfig = Readonly<Partial<Record<RuleId | TraceRuleId, Severity>>>;

export type LintFinding = Finding<RuleId>;

export interface LintResult {
  readonly findings: readonly LintFinding[];
  /** Things that stop lint itself: syntax errors, suppressions with no reason or an unknown rule. */
  readonly problems: readonly Problem[];
}

/**
 * The suppression problems of a file read as the lexer splits it, without PostgreSQL's parser: what the
 * lock trace checks before it honours the file's allows.
 */
export function suppressionProblems(file: ScriptFile, analysis: ScriptAnalysis): Problem[] {
  const problems: LintProblem[] = [];
  analysis.statements.forEach((statement, index) => void checkedAllows(file.text, analysis.statements[index - 1]?.end ?? 0, statement.start, problems));
  return problems.map((problem) => problemAt(file, problem.at, problem.code, problem.message, problem.hint));
}

/** `parsed`: the file's parse when validation already made it (each file is parsed once per run). */
export async function lintFiles(
  files: ReadonlyArray<{ file: ScriptFile; analysis: ScriptAnalysis; parsed?: FileParse | undefined }>,
  config: LintConfig = {},
): Promise<LintResult> {
  const result: LintCollector = { findings: [], problems: [] };
  for (const { file, analysis, parsed: given } of files) {
    configure(file, lintParsed(file, analysis, given ?? (await parseFile(file.text)), given !== undefined), config, result);
  }
  return result;
}

/** A LintResult being filled, file by file. */
export interface LintCollector {
  readonly findings: LintFinding[];
  readonly problems: Problem[];
}

/** Adds a file's lint to `into` as the project configured it: findings of a rule turned off are dropped. */
export function configure(file: ScriptFile, lint: FileLint, config: LintConfig, into: LintCollector): void {
  for (const problem of lint.problems) into.problems.push(problemAt(file, problem.at, problem.code, problem.message, problem.hint));
  for (const raw of lint.findings) {
    const result = finding(file, raw.at, raw.rule, raw.message, config);
    if (result) into.findings.push(result);
  }
}

/** A finding as configured, or undefined when the project turned its rule off. */
function finding(file: ScriptFile, at: number, rule: RuleId, message: string, config: LintConfig): LintFinding | undefined {
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
