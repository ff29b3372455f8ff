import type { Catalog } from './catalog.js';
import { failValidation, PgshiftError } from './errors.js';
import type { History } from './ledger-problems.js';
import type { SqlFile } from './types.js';
import type { PlanWords } from './wording.js';

/**
 * `baseline`: the migrations a database changed by hand already has, to record without running. Only on
 * an empty ledger: recording over existing rows would hide what was really applied.
 */
export function planBaseline(catalog: Catalog, { ledger, progress }: History, version: number, { wording }: PlanWords): SqlFile[] {
  if (catalog.problems.length > 0) failValidation(catalog.problems);
  if (ledger.length > 0 || progress.length > 0) {
    throw new PgshiftError('USAGE', `baseline: the ledger already has ${ledger.length + progress.length} row(s)`, {
      hint: `baseline is for a database that never had pgshift; on this one, use up (or up ${wording.option('migration')} PATH for one file)`,
    });
  }
  if (!catalog.migrations.some((file) => file.version === version)) {
    throw new PgshiftError('USAGE', `baseline ${wording.option('version')} ${version}: no migration has version ${version}`, {
      hint: `pass the version of the newest migration the database already has (${wording.command('status')} lists them)`,
    });
  }
  return catalog.migrations.filter((file) => file.version <= version);
}
