/**
 * What lint finds in one file before the project's configuration applies: the rules' findings that no
 * `-- pgshift:allow` silences, and the problems that stop lint. Plain data, positions as character
 * indexes: the parse cache keeps it, and the configuration (which may change between runs) is applied after.
 */
import { allowsBetween } from '../core/allow.js';
import type { ScriptAnalysis } from '../core/file-analysis.js';
import { isIndex, isObject } from './shape.js';
import { scanSql } from '../core/sql-lexer.js';
import type { ScriptFile } from '../core/types.js';
import type { FileParse } from './parse.js';
import { RULE_IDS, type RuleId } from './rules/index.js';
import { TRACE_RULE_IDS } from './trace-rules.js';
import { checkStatements, type StatementNode } from './walk.js';

export interface LintProblem {
  readonly code: 'LINT_SUPPRESSION' | 'SYNTAX_ERROR' | 'LINT_SKIPPED';
  readonly at: number;
  readonly message: string;
  readonly hint: string;
}

export interface FileLint {
  readonly findings: ReadonlyArray<{ readonly rule: RuleId; readonly at: number; readonly message: string }>;
  readonly problems: readonly LintProblem[];
}

const RULES: ReadonlySet<string> = new Set(RULE_IDS);
const CODES: ReadonlySet<string> = new Set<LintProblem['code']>(['LINT_SUPPRESSION', 'SYNTAX_ERROR', 'LINT_SKIPPED']);

/** A file's lint as the parse cache gave it back: anything of another shape (another build, a hand) is a miss. */
export function isFileLint(value: unknown): value is FileLint {
  if (!isObject(value) || !Array.isArray(value['findings']) || !Array.isArray(value['problems'])) return false;
  const findingsOk = value['findings'].every((f: unknown) => isObject(f) && RULES.has(f['rule'] as string) && isIndex(f['at']) && typeof f['message'] === 'string');
  const problemsOk = value['problems'].every(
    (p: unknown) => isObject(p) && CODES.has(p['code'] as string) && isIndex(p['at']) && typeof p['message'] === 'string' && typeof p['hint'] === 'string',
  );
  return findingsOk && problemsOk;
}

/** The rules a `-- pgshift:allow` may name: lint's, and the lock trace's (which reads the same comments). */
const ALLOWABLE: readonly string[] = [...RULE_IDS, ...TRACE_RULE_IDS];

/**
 * The rules the comments between `from` and `to` allow; an allow naming no known rule, or giving no reason,
 * is a problem instead (a typo must not silence nothing while looking as if it did).
 */
export function checkedAllows(text: string, from: number, to: number, problems: LintProblem[]): Set<string> {
  const rules = new Set<string>();
  for (const { rule, reason, at } of allowsBetween(text, from, to)) {
    if (!rule || !ALLOWABLE.includes(rule)) {
      const message = `pgshift:allow names ${rule ? `an unknown rule "${rule}"` : 'no rule'}`;
      problems.push({ code: 'LINT_SUPPRESSION', at, message, hint: `the rules are: ${ALLOWABLE.join(', ')}` });
    } else if (!reason) {
      const hint = `say why it is safe here: -- pgshift:allow ${rule} the table is empty in every environment`;
      problems.push({ code: 'LINT_SUPPRESSION', at, message: `pgshift:allow ${rule} gives no reason`, hint });
    } else {
      rules.add(rule);
    }
  }
  return rules;
}

/** `validated`: the parse is validation's, which has already reported a file too large to parse. */
export function lintParsed(file: ScriptFile, analysis: ScriptAnalysis, parsed: FileParse, validated: boolean): FileLint {
  if ('tooLargeMb' in parsed) {
    // Bulk data, not schema changes worth linting.
    const skipped: LintProblem = {
      code: 'LINT_SKIPPED',
      at: 0,
      message: `not linted: ${parsed.tooLargeMb} MB is more than the lint parser takes`,
      hint: 'keep schema changes and bulk data in separate migrations',
    };
    return { findings: [], problems: validated ? [] : [skipped] };
  }
  if ('error' in parsed) {
    return { findings: [], problems: [{ code: 'SYNTAX_ERROR', at: parsed.at, message: parsed.error, hint: 'fix the statement; PostgreSQL would refuse it too' }] };
  }
  const statements: StatementNode[] = parsed.statements.map((statement) => ({
    node: statement.node,
    start: statement.from + (scanSql(file.text.slice(statement.from, statement.to)).statements[0]?.start ?? 0),
  }));
  // pgshift new's template: validation refuses to run it until it is written, so it is not empty-file yet.
  if (statements.length === 0 && analysis.directives.unwritten) return { findings: [], problems: [] };

  // Suppressions sit in the comments before the statement they allow.
  const problems: LintProblem[] = [];
  const allowed = statements.map((statement, index) => {
    const from = index === 0 ? 0 : (parsed.statements[index]?.from ?? statement.start);
    return checkedAllows(file.text, from, statement.start, problems);
  });
  // A repeatable file is checked as a migration is: it changes the schema going forward.
  const kind = file.kind === 'rollback' ? 'rollback' : 'migration';
  const findings = checkStatements(statements, { path: file.path, kind, transaction: analysis.directives.transaction })
    .filter((raw) => !allowed[raw.statement]?.has(raw.rule))
    .map((raw) => ({ rule: raw.rule, at: statements[raw.statement]?.start ?? 0, message: raw.message }));
  return { findings, problems };
}
