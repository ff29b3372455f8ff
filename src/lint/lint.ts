/**
 * Lint a set of files: parse each with PostgreSQL's parser, run the rules, then apply the project's
 * configuration and the per-statement suppressions (`-- pgshift:allow rule-id reason`).
 */
import type { Problem } from '../core/errors.js';
import { lineColumnAt } from '../core/position.js';
import type { ScriptAnalysis } from '../core/script-checks.js';
import { scanSql } from '../core/sql-lexer.js';
import type { SqlFile } from '../core/types.js';
import { parseSql } from './parse.js';
import { checkStatements, RULE_IDS, RULES, type RuleId, type StatementNode } from './rules.js';

export type Severity = 'off' | 'warning' | 'error';

/** The project's choices, from package.json `"pgshift": { "lint": { "rules": { "rule-id": "off" } } }`. */
export type LintConfig = Readonly<Partial<Record<RuleId, Severity>>>;

export interface LintFinding {
  readonly rule: RuleId;
  readonly severity: 'warning' | 'error';
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
  /** Why it matters and the safe way, from the rule. */
  readonly hint: string;
}

export interface LintResult {
  readonly findings: readonly LintFinding[];
  /** Things that stop lint itself: syntax errors, suppressions with no reason or an unknown rule. */
  readonly problems: readonly Problem[];
}

const MAX_LINT_CHARS = 16 * 1024 * 1024;
const ALLOW = /pgshift:allow(?:[ \t]+(\S+))?(?:[ \t]+(.*?))?[ \t]*$/gm;

export async function lintFiles(files: ReadonlyArray<{ file: SqlFile; analysis: ScriptAnalysis }>, config: LintConfig = {}): Promise<LintResult> {
  const findings: LintFinding[] = [];
  const problems: Problem[] = [];
  for (const { file, analysis } of files) {
    const problem = (at: number, code: Problem['code'], message: string, hint: string): void => {
      const { line, column } = lineColumnAt(file.text, at);
      problems.push({ code, file: file.path, version: file.version, line, message: `${file.path}:${line}:${column}: ${message}`, hint });
    };
    // The WebAssembly parser needs several times a file's size in memory and fails on bulk loads of
    // tens of megabytes; such files are data, not schema changes worth linting.
    if (file.text.length > MAX_LINT_CHARS) {
      problem(0, 'LINT_SKIPPED', `not linted: ${Math.round(file.text.length / 1048576)} MB is more than the lint parser takes`, 'keep schema changes and bulk data in separate migrations');
      continue;
    }
    const parsed = await parseSql(file.text);
    if ('error' in parsed) {
      problem(parsed.at, 'SYNTAX_ERROR', parsed.error, 'fix the statement; PostgreSQL would refuse it too');
      continue;
    }
    const statements: StatementNode[] = parsed.statements.map((statement) => ({
      node: statement.node,
      start: statement.from + (scanSql(file.text.slice(statement.from, statement.to)).statements[0]?.start ?? 0),
    }));
    if (statements.length === 0) {
      const empty = finding(file, 0, 'empty-file', `${file.path} has no statements`, config);
      if (empty) findings.push(empty);
      continue;
    }

    // Suppressions sit in the comments before the statement they allow.
    const allowed = statements.map((statement, index) => {
      const from = index === 0 ? 0 : (parsed.statements[index]?.from ?? statement.start);
      const rules = new Set<string>();
      for (const match of file.text.slice(from, statement.start).matchAll(ALLOW)) {
        const [, rule, reason] = match;
        const at = from + (match.index ?? 0);
        if (!rule || !RULE_IDS.has(rule)) {
          problem(at, 'LINT_SUPPRESSION', `pgshift:allow names ${rule ? `an unknown rule "${rule}"` : 'no rule'}`, `the rules are: ${[...RULE_IDS].join(', ')}`);
        } else if (!reason) {
          problem(at, 'LINT_SUPPRESSION', `pgshift:allow ${rule} gives no reason`, `say why it is safe here: -- pgshift:allow ${rule} the table is empty in every environment`);
        } else {
          rules.add(rule);
        }
      }
      return rules;
    });

    for (const raw of checkStatements(statements, { kind: file.kind, transaction: analysis.directives.transaction })) {
      if (allowed[raw.statement]?.has(raw.rule)) continue;
      const result = finding(file, statements[raw.statement]?.start ?? 0, raw.rule, raw.message, config);
      if (result) findings.push(result);
    }
  }
  return { findings, problems };
}

/** A finding as configured, or undefined when the project turned its rule off. */
function finding(file: SqlFile, at: number, rule: RuleId, message: string, config: LintConfig): LintFinding | undefined {
  const severity = config[rule] ?? 'warning';
  if (severity === 'off') return undefined;
  const info = RULES.find((candidate) => candidate.id === rule);
  const { line, column } = lineColumnAt(file.text, at);
  return {
    rule,
    severity,
    file: file.path,
    line,
    column,
    message,
    hint: info ? `${info.why}; instead: ${info.safe}` : '',
  };
}
