import postgres from 'postgres';
import { createTestDatabase } from 'pgshift';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';

// This file's own database, every migration applied, cloned from a template the workers build once.
let db;
let sql;
beforeAll(async () => {
  db = await createTestDatabase({ database: { url: process.env.DATABASE_URL } });
  sql = postgres(db.url, { onnotice: () => {} });
});

// A file whose tests all ran and passed drops its database; one with a failure keeps it, to look at with
// psql. So does one where no test ran: a failing hook stops the tests before afterEach sees any.
let passed = 0;
let failed = false;
afterEach(({ task }) => {
  if (task.result?.state === 'fail') failed = true;
  else passed++;
});
afterAll(async () => {
  // Nothing to end or keep when beforeAll failed: its own error says why.
  if (db === undefined) return;
  await sql.end();
  if (!failed && passed > 0) return db.drop();
  await db.keep();
  console.error(`kept the test database of ${new URL(import.meta.url).pathname}: psql '${db.safeUrl}'`);
});

test('a new session is private', async () => {
  const [session] = await sql`INSERT INTO user_sessions (user_id) VALUES ('u1') RETURNING visibility`;
  expect(session.visibility).toBe('private');
});
