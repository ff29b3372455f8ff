/**
 * `-- pgshift:allow RULE REASON`: a statement's suppression of one finding, written in the comments before
 * it. Lint and the lock trace read them here, so that one comment silences both the same way.
 */
import { defined } from './defined.js';

export interface Allow {
  /** The rule it names; absent when the comment names none. */
  readonly rule?: string;
  /** Why the statement is safe here; absent when the comment gives none (which silences nothing). */
  readonly reason?: string;
  /** Where `pgshift:allow` stands in the file's text. */
  readonly at: number;
}

const ALLOW = /pgshift:allow(?:[ \t]+(\S+))?(?:[ \t]+(.*?))?[ \t]*$/gm;

/** A directive of the whole file (core/directives.ts), not a rule a statement may allow. */
const PARSE_ERROR = 'parse-error';

/**
 * The allows in `text` between `from` and `to`: the comments between the end of the previous statement
 * (0 for the first) and the start of the one they apply to.
 */
export function allowsBetween(text: string, from: number, to: number): Allow[] {
  const allows: Allow[] = [];
  for (const match of text.slice(from, to).matchAll(ALLOW)) {
    const [, rule, reason] = match;
    if (rule !== PARSE_ERROR) allows.push({ ...defined({ rule, reason: reason || undefined }), at: from + match.index });
  }
  return allows;
}
