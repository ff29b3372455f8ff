import { isUtf8 } from 'node:buffer';
import * as crypto from 'node:crypto';
import type { FileContent } from './types.js';

/**
 * The text pgshift hashes and sends: a leading BOM removed and CRLF or lone CR turned into LF, so that a
 * Windows checkout or an editor that adds a BOM does not count as drift (sqlx #2659, Prisma #7398).
 */
export function normalizeText(text: string): string {
  const withoutBom = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return withoutBom.includes('\r') ? withoutBom.replace(/\r\n?/g, '\n') : withoutBom;
}

/** SHA-256, lowercase hex, of text already normalised by normalizeText. */
export function checksumOf(normalized: string): string {
  return sha256(normalized);
}

const CR = 0x0d;

/**
 * A file's bytes as pgshift takes them (RawFile's content): the same as normalizeText and checksumOf on
 * the decoded text, without encoding the text again to hash it. Valid UTF-8 decodes and encodes back to
 * the same bytes, a leading BOM is the three bytes EF BB BF, and the byte 0x0D occurs only as CR; a file
 * with a CR (a Windows checkout, rare) takes the text route, whole, so that only one BOM is removed.
 */
export function contentOf(bytes: Buffer): FileContent {
  if (!isUtf8(bytes)) return { invalidUtf8AtLine: firstInvalidLine(bytes) };
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  if (bytes.indexOf(CR, start) === -1) {
    return { text: bytes.toString('utf8', start), checksum: sha256(start === 0 ? bytes : bytes.subarray(start)) };
  }
  const text = normalizeText(bytes.toString('utf8'));
  return { text, checksum: checksumOf(text) };
}

/** The one-shot hash (Node 20.12+) builds no Hash stream object: a run hashes every file, 20,000 for 10,000 migrations. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string | Buffer, encoding: 'hex') => string }).hash;

function sha256(data: string | Buffer): string {
  return oneShot ? oneShot('sha256', data, 'hex') : crypto.createHash('sha256').update(data).digest('hex');
}

/** A newline byte never occurs inside a multi-byte UTF-8 sequence, so lines can be checked one by one. */
function firstInvalidLine(bytes: Buffer): number {
  let line = 1;
  let start = 0;
  for (;;) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline === -1 ? bytes.length : newline;
    if (!isUtf8(bytes.subarray(start, end))) return line;
    if (newline === -1) return line;
    line++;
    start = newline + 1;
  }
}
