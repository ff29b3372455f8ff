import { createHash } from 'node:crypto';

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
  return createHash('sha256').update(normalized, 'utf8').digest('hex');
}
