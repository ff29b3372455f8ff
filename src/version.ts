import { readFileSync } from 'node:fs';

/** pgshift's own version, from its package.json (recorded in each ledger row it writes). */
export const PGSHIFT_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
