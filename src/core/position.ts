/** Converting between the server's error positions, string indexes, and the line:column a person reads. */

export interface LineColumn {
  /** 1-based. */
  readonly line: number;
  /** 1-based, in characters (code points), as an editor counts them. */
  readonly column: number;
}

/**
 * PostgreSQL reports `position` as a 1-based count of characters (code points) into the query string;
 * JavaScript indexes count UTF-16 units, so text outside the BMP would shift every later column.
 */
export function indexOfServerPosition(query: string, position: number): number {
  let index = 0;
  for (let seen = 1; seen < position && index < query.length; seen++) {
    index += isHighSurrogateAt(query, index) ? 2 : 1;
  }
  return index;
}

export function lineColumnAt(text: string, index: number): LineColumn {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: codePointCount(text, lineStart, index) + 1 };
}

/** The line holding `index` and a caret under its character, the way psql shows a syntax error. */
export function caretSnippet(text: string, index: number): string {
  const lineStart = text.lastIndexOf('\n', index - 1) + 1;
  const newline = text.indexOf('\n', index);
  const lineText = text.slice(lineStart, newline === -1 ? text.length : newline);
  const before = text.slice(lineStart, index).replace(/[^\t]/gu, ' ');
  return `${lineText}\n${before}^`;
}

function codePointCount(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i += isHighSurrogateAt(text, i) ? 2 : 1) count++;
  return count;
}

function isHighSurrogateAt(text: string, index: number): boolean {
  const unit = text.charCodeAt(index);
  return unit >= 0xd800 && unit <= 0xdbff;
}
