import assert from 'node:assert/strict';
import { after, afterEach, test } from 'node:test';
import postgres from 'postgres';
import { createTestDatabase } from 'pgshift';

// This file's own database, every migration applied: on DATABASE_URL's server, else on an embedded one
// that the test files share and the last to finish stops.
const db = await createTestDatabase(process.env.DATABASE_URL ? { database: { url: process.env.DATABASE_URL } } : { embedded: true });
const sql = postgres(db.url, { onnotice: () => {} });

// A file whose tests all ran and passed drops its database; one with a failure keeps it, to look at with
// psql. So does one where no test ran: a failing hook stops the tests before afterEach sees any.
let passed = 0;
let failed = false;
afterEach((t) => {
  if (t.passed) passed++;
  else failed = true;
});
after(async () => {
  await sql.end();
  if (!failed && passed > 0) return db.drop();
  await db.keep();
  console.error(`kept the test database of ${new URL(import.meta.url).pathname}: psql '${db.safeUrl}'`);
});

test('a new session is private', async () => {
  const [session] = await sql`INSERT INTO user_sessions (user_id) VALUES ('u1') RETURNING visibility`;
  assert.equal(session.visibility, 'private');
});
