/**
 * Each test file gets its own database on the test server, created before its tests and dropped after them,
 * so files can run side by side and leave nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** A client on the test database, for setting up and checking what pgshift did. */
  readonly sql: postgres.Sql;
}

export function serverUrl(): string {
  const url = process.env['TEST_DATABASE_URL'];
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run the tests with `npm test`, which provides a server');
  return url;
}

export function urlFor(database: string): string {
  const url = new URL(serverUrl());
  url.pathname = `/${database}`;
  return url.toString();
}

const quiet = { onnotice: () => undefined, max: 1 } as const;

/**
 * A fresh database named after the calling test file, dropped (with any sessions left on it) after the file;
 * `encoding` other than the server's default (under the C locale, which takes any).
 */
export async function testDatabase(moduleUrl: string, { encoding }: { readonly encoding?: 'LATIN1' } = {}): Promise<TestDatabase> {
  const label = basename(fileURLToPath(moduleUrl), '.test.ts').replace(/[^a-z0-9]/gi, '_').toLowerCase();
  const name = `pgshift_${label}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(serverUrl(), quiet);
  await admin.unsafe(`CREATE DATABASE "${name}"${encoding ? ` ENCODING '${encoding}' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'` : ''}`);
  const url = urlFor(name);
  const sql = postgres(url, { ...quiet, max: 4 });
  after(async () => {
    await sql.end({ timeout: 5 });
    await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end({ timeout: 5 });
  });
  return { name, url, sql };
}
