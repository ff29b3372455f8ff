/**
 * The lint pass up and its dry run make before anything runs: findings are logged as warnings; a bad
 * suppression, a rule set to "error", or any finding under strict stops the run with nothing run.
 */
import { failValidation, PgshiftError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { shared, type Memo } from '../core/memo.js';
import type { CheckCache } from './check-cache.js';
import { readLintConfig } from './config.js';
import { isFileLint, lintParsed, type FileLint } from './file-lint.js';
import { configure, type LintCollector, type LintFinding } from './lint.js';
import { parseOnce, type CheckedFile } from './syntax.js';

export interface GateOptions {
  readonly cwd: string;
  readonly logger: Logger;
  readonly strict: boolean;
  /** false: findings that would stop the run are only returned (a review lists them all, and says up would stop). */
  readonly stops?: boolean;
  readonly memo?: Memo | undefined;
  readonly cache?: CheckCache | undefined;
}

export async function lintBeforeRun(files: readonly CheckedFile[], options: GateOptions): Promise<readonly LintFinding[]> {
  const { logger, strict } = options;
  if (files.length === 0) return [];
  const key = `lint:${files.map(({ file }) => file.checksum).join(',')}`;
  const { findings, problems } = await shared(options.memo, key, async () => {
    const config = await readLintConfig(options.cwd);
    const result: LintCollector = { findings: [], problems: [] };
    for (const checked of files) configure(checked.file, await fileLint(checked, options), config, result);
    return result;
  });
  // Validation has already refused every parse error except those a file allows (-- pgshift:allow
  // parse-error: syntax newer than the parser), and bulk loads are not parsed: neither stops a run here.
  const unread = problems.filter((p) => p.code === 'SYNTAX_ERROR' || p.code === 'LINT_SKIPPED');
  for (const problem of unread) {
    const hint = problem.code === 'SYNTAX_ERROR' ? 'the file allows a parse error (-- pgshift:allow parse-error): only the server checks it' : problem.hint;
    logger.warn(`lint skipped ${problem.file ?? 'a file'}: ${problem.message}`, { hint });
  }
  const blocking = problems.filter((p) => !unread.includes(p));
  if (blocking.length > 0) failValidation(blocking);
  for (const finding of findings) {
    logger.warn(`${finding.file}:${finding.line}:${finding.column} ${finding.rule} ${finding.message}`, { rule: finding.rule, hint: finding.hint });
  }
  const stopping = options.stops === false ? [] : findings.filter((finding) => strict || finding.severity === 'error');
  if (stopping.length > 0) {
    throw new PgshiftError('LINT_FINDINGS', `lint: ${stopping.length} finding(s) ${strict ? 'with --strict' : 'set to "error"'}; nothing was run`, {
      hint: 'make the change the safe way each finding describes, or allow it for one statement with -- pgshift:allow RULE-ID reason',
      problems: stopping.map((finding) => ({
        code: 'LINT_FINDINGS',
        file: finding.file,
        line: finding.line,
        message: `${finding.file}:${finding.line}:${finding.column} ${finding.rule} ${finding.message}`,
        hint: finding.hint,
      })),
    });
  }
  return findings;
}

/** A file's lint as the cache knows it, or from its parse (made now when the cache knew only its syntax). */
async function fileLint({ file, analysis, syntax, parsed }: CheckedFile, { cache, memo }: GateOptions): Promise<FileLint> {
  const known = cache?.storedLint(file);
  if (isFileLint(known)) return known;
  const lint = lintParsed(file, analysis, parsed ?? (await parseOnce(file, memo)), syntax !== undefined);
  if (syntax !== undefined) cache?.remember(file, syntax, lint);
  return lint;
}
