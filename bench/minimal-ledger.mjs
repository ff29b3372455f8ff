// The floor for a no-op up and for status: connect with postgres.js, read the ledger, disconnect.
import postgres from 'postgres';

const sql = postgres(process.env.DATABASE_URL, { max: 1, onnotice: () => {} });
await sql`SELECT * FROM schema_migrations ORDER BY version`;
await sql.end();
