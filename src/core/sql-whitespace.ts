/**
 * Whether two definitions the server printed differ only in layout: a function body is stored as its
 * author wrote it, so the same function created from two differently indented files prints differently.
 */
import { sqlTokens } from './sql-lexer.js';

/**
 * True when `a` and `b` differ only in whitespace, none of it inside a string literal, a quoted identifier
 * or a dollar-quoted string other than a routine's body. A routine's body (the dollar-quoted string after
 * AS) is code, so its own tokens are compared; a comment whose words change is a change.
 */
export function differsOnlyInWhitespace(a: string, b: string): boolean {
  if (a === b) return true;
  return squeeze(a) === squeeze(b) && sameTokens(codeTokens(a), codeTokens(b));
}

function squeeze(text: string): string {
  return text.replace(/\s+/g, '');
}

/** The tokens, with a routine's dollar-quoted body replaced by the body's own tokens between its quotes. */
function codeTokens(text: string): string[] {
  const tokens = sqlTokens(text);
  return tokens.flatMap((token, index) => {
    const quote = /^\$[^$]*\$/.exec(token)?.[0];
    if (quote === undefined || !token.endsWith(quote) || token.length < 2 * quote.length) return [token];
    if (tokens[index - 1]?.toUpperCase() !== 'AS') return [token];
    return [quote, ...sqlTokens(token.slice(quote.length, token.length - quote.length)), quote];
  });
}

function sameTokens(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((token, index) => token === b[index]);
}
