import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { failValidation } from '../core/errors.js';
import type { LintConfig, Severity } from './lint.js';
import { RULE_IDS } from './rules/index.js';
import { TRACE_RULE_IDS } from './trace-rules.js';

/** Lint's rules and the trace's: one configuration for both, as one suppression silences both. */
const CONFIGURABLE: ReadonlySet<string> = new Set([...RULE_IDS, ...TRACE_RULE_IDS]);

const SEVERITIES: readonly Severity[] = ['off', 'warning', 'error'];

/**
 * The project's lint settings, from package.json: `"pgshift": { "lint": { "rules": { "varchar-length": "off" } } }`.
 * An unknown rule or severity is an error: a typo must not quietly leave a rule on (or off).
 */
export async function readLintConfig(cwd: string): Promise<LintConfig> {
  let manifest: { pgshift?: { lint?: { rules?: Record<string, unknown> } } };
  try {
    manifest = JSON.parse(await readFile(join(cwd, 'package.json'), 'utf8')) as typeof manifest;
  } catch {
    return {};
  }
  const rules = manifest.pgshift?.lint?.rules ?? {};
  const problems = Object.entries(rules).flatMap(([rule, severity]) =>
    CONFIGURABLE.has(rule) && SEVERITIES.includes(severity as Severity)
      ? []
      : [
          {
            code: 'LINT_CONFIG' as const,
            file: 'package.json',
            message: `package.json pgshift.lint.rules: ${CONFIGURABLE.has(rule) ? `"${String(severity)}" is not one of ${SEVERITIES.join(', ')}` : `unknown rule "${rule}"`}`,
            hint: `the rules are: ${[...CONFIGURABLE].join(', ')}`,
          },
        ],
  );
  if (problems.length > 0) failValidation(problems);
  return rules as LintConfig;
}
