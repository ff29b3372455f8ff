/**
 * The project's own settings for migrations, from its package.json's "pgshift" key, read when a migrator
 * is made: a team states there what every run in the project does, whoever runs it and however. Lint's
 * rules live under the same key and are read by lint (lint/config.ts), which alone knows the rule names.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PgshiftError } from '../core/errors.js';

export interface ProjectSettings {
  /** `"outOfOrder": true`: up applies pending files numbered below the highest applied version. */
  readonly outOfOrder?: boolean;
}

/** No package.json, or one that does not parse, is a project that states nothing: npm reports the latter itself. */
export function readProjectSettings(cwd: string): ProjectSettings {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8'));
  } catch {
    return {};
  }
  const section = typeof manifest === 'object' && manifest !== null ? (manifest as { pgshift?: unknown }).pgshift : undefined;
  if (typeof section !== 'object' || section === null) return {};
  const { outOfOrder } = section as { outOfOrder?: unknown };
  if (outOfOrder === undefined || typeof outOfOrder === 'boolean') return outOfOrder === undefined ? {} : { outOfOrder };
  throw new PgshiftError('CONFIG_INVALID', `package.json pgshift.outOfOrder is ${JSON.stringify(outOfOrder)}, not true or false`, {
    hint: 'set it to true to let up apply migrations merged out of order, or remove it',
  });
}
