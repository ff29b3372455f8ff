/**
 * The real PostgreSQL parser (libpg-query, PostgreSQL 17's parser compiled to WebAssembly), loaded on first
 * use: by validation of the files a command would run, and by lint. The only module that imports libpg-query.
 */
import { PgshiftError } from '../core/errors.js';

/** One statement as the parser gives it: its node (for example `{ IndexStmt: {...} }`) and where it is. */
export interface ParsedStatement {
  readonly node: Readonly<Record<string, unknown>>;
  /** Character index in the file where the statement's text begins (may include leading comments). */
  readonly from: number;
  readonly to: number;
}

export type ParseResult = { readonly statements: readonly ParsedStatement[] } | { readonly error: string; readonly at: number };

/**
 * The WebAssembly parser needs several times a file's size in memory and fails on bulk loads of tens of
 * megabytes; such files are data, so they are not parsed at all.
 */
export const MAX_PARSE_CHARS = 16 * 1024 * 1024;

/** A file's parse, or its size in MB when it is over the parser's limit. */
export type FileParse = ParseResult | { readonly tooLargeMb: number };

export async function parseFile(text: string): Promise<FileParse> {
  return text.length > MAX_PARSE_CHARS ? { tooLargeMb: Math.round(text.length / 1048576) } : parseSql(text);
}

export async function parseSql(text: string): Promise<ParseResult> {
  let parser: typeof import('libpg-query');
  try {
    parser = await import('libpg-query');
  } catch (error) {
    throw new PgshiftError('CONFIG_INVALID', `the SQL parser could not be loaded: ${(error as Error).message}`, { cause: error });
  }
  const bytes = Buffer.from(text, 'utf8');
  const charAt = charIndexer(bytes);
  try {
    const tree = (await parser.parse(text)) as { stmts?: Array<{ stmt: Record<string, unknown>; stmt_location?: number; stmt_len?: number }> };
    return {
      statements: (tree.stmts ?? []).map((raw) => {
        const start = raw.stmt_location ?? 0;
        const end = raw.stmt_len === undefined || raw.stmt_len === 0 ? bytes.length : start + raw.stmt_len;
        return { node: raw.stmt, from: charAt(start), to: charAt(end) };
      }),
    };
  } catch (error) {
    const position = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails?.cursorPosition;
    return { error: (error as Error).message, at: position === undefined ? 0 : charAt(position) };
  }
}

/**
 * The parser counts bytes; people and the rest of pgshift count characters. Statement offsets come in
 * ascending order, so each is converted from the last one: decoding every prefix from the start would make
 * a file of many statements (a bulk load) quadratic.
 */
function charIndexer(bytes: Buffer): (byte: number) => number {
  let byteAt = 0;
  let charAt = 0;
  return (byte) => {
    if (byte < byteAt) {
      byteAt = 0;
      charAt = 0;
    }
    charAt += bytes.toString('utf8', byteAt, byte).length;
    byteAt = byte;
    return charAt;
  };
}
