/**
 * Validation by PostgreSQL's own parser: a file the parser refuses stops up, down, their dry runs and
 * validate with nothing run, as the server would refuse it halfway through a run. The parse is kept for lint,
 * which needs the same tree, so each file is parsed once.
 */
import type { Problem } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { shared, type Memo } from '../core/memo.js';
import { problemAt, type ScriptAnalysis } from '../core/file-analysis.js';
import type { SqlFile } from '../core/types.js';
import { parseFile, type FileParse } from './parse.js';

export interface CheckedFile {
  readonly file: SqlFile;
  readonly analysis: ScriptAnalysis;
  /** Undefined when the file was not parsed because validation already found a problem in it. */
  readonly parsed?: FileParse;
}

export async function checkSyntax(
  files: ReadonlyArray<{ file: SqlFile; analysis: ScriptAnalysis }>,
  logger: Logger,
  memo?: Memo,
): Promise<{ checked: CheckedFile[]; problems: Problem[] }> {
  const problems: Problem[] = [];
  const checked: CheckedFile[] = [];
  for (const { file, analysis } of files) {
    // A file already refused (an unterminated string, a NUL byte) would only be reported twice.
    if (analysis.problems.length > 0) {
      checked.push({ file, analysis });
      continue;
    }
    const parsed = await shared(memo, `parse:${file.checksum}`, () => parseFile(file.text));
    checked.push({ file, analysis, parsed });
    if ('tooLargeMb' in parsed) {
      logger.warn(`${file.path} not parsed: ${parsed.tooLargeMb} MB is more than the parser takes`, {
        hint: 'its syntax is checked by the server only; keep schema changes and bulk data in separate migrations',
      });
    } else if ('error' in parsed && analysis.directives.allowParseError === undefined) {
      problems.push(
        problemAt(
          file,
          parsed.at,
          'SYNTAX_ERROR',
          parsed.error,
          'fix the statement: the server would refuse it too. If the server accepts it because it is newer syntax than PostgreSQL 17 (the parser pgshift checks with), put -- pgshift:allow parse-error REASON in the file\'s leading comments',
        ),
      );
    }
  }
  return { checked, problems };
}
