// The floor for a no-op up and for status: connect with postgres.js, read the ledger, disconnect. Given a
// project folder, it also reads every file of its migrations and rollbacks folders while the server answers
// (bytes only: no decoding, hashing or checks), which is the least any run that reads every file can cost.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';

const sql = postgres(process.env.DATABASE_URL, { max: 1, onnotice: () => {} });
const ledger = sql`SELECT * FROM schema_migrations ORDER BY version`.execute();
const project = process.argv[2];
if (project !== undefined) {
  for (const folder of ['migrations', 'rollbacks']) {
    for (const name of readdirSync(join(project, folder))) readFileSync(join(project, folder, name));
  }
}
await ledger;
await sql.end();
