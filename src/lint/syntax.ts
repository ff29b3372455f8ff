/**
 * Validation by PostgreSQL's own parser: a file the parser refuses stops up, down, their dry runs and
 * validate with nothing run, as the server would refuse it halfway through a run. The parse is kept for lint,
 * which needs the same tree, so each file is parsed once; a file the parse cache knows is not parsed at all.
 */
import { defined } from '../core/defined.js';
import type { Problem } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { shared, type Memo } from '../core/memo.js';
import { problemAt, type ScriptAnalysis } from '../core/file-analysis.js';
import type { ScriptFile } from '../core/types.js';
import { syntaxOf, type CheckCache, type SyntaxOutcome } from './check-cache.js';
import { parseFile, type FileParse } from './parse.js';

export interface CheckedFile {
  readonly file: ScriptFile;
  readonly analysis: ScriptAnalysis;
  /** Undefined when the file was not parsed because validation already found a problem in it. */
  readonly syntax?: SyntaxOutcome;
  /** The parse, when this run made it (not when the cache knew the file). */
  readonly parsed?: FileParse;
}

export async function checkSyntax(
  files: ReadonlyArray<{ file: ScriptFile; analysis: ScriptAnalysis }>,
  logger: Logger,
  memo?: Memo,
  cache?: CheckCache,
): Promise<{ checked: CheckedFile[]; problems: Problem[] }> {
  const problems: Problem[] = [];
  const checked: CheckedFile[] = [];
  for (const { file, analysis } of files) {
    // A file already refused (an unterminated string, a NUL byte) would only be reported twice.
    if (analysis.problems.length > 0) {
      checked.push({ file, analysis });
      continue;
    }
    const known = cache?.syntax(file);
    const parsed = known === undefined ? await parseOnce(file, memo) : undefined;
    const syntax = known ?? syntaxOf(parsed as FileParse);
    if (known === undefined) cache?.remember(file, syntax);
    checked.push({ file, analysis, syntax, ...defined({ parsed }) });
    if ('tooLargeMb' in syntax) {
      logger.warn(`${file.path} not parsed: ${syntax.tooLargeMb} MB is more than the parser takes`, {
        hint: 'its syntax is checked by the server only; keep schema changes and bulk data in separate migrations',
      });
    } else if ('error' in syntax && analysis.directives.allowParseError === undefined) {
      problems.push(
        problemAt(
          file,
          syntax.at,
          'SYNTAX_ERROR',
          syntax.error,
          'fix the statement: the server would refuse it too. If the server accepts it because it is newer syntax than PostgreSQL 17 (the parser pgshift checks with), put -- pgshift:allow parse-error REASON in the file\'s leading comments',
        ),
      );
    }
  }
  return { checked, problems };
}

/** A file's parse, made once for all the targets of a many-database run. */
export function parseOnce(file: ScriptFile, memo: Memo | undefined): Promise<FileParse> {
  return shared(memo, `parse:${file.checksum}`, () => parseFile(file.text));
}
