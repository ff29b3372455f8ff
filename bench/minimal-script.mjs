// The least a Node tool can take to do what psql's floor script does (apply or down): read the script from
// standard input, connect with postgres.js, and send each file's transaction as one message, all of them
// pipelined on the one connection (none waits for the one before it). No checks, no guards, no ledger read,
// and no handling of a failure beyond stopping. Beside psql it shows what Node's start and a driver cost a
// tool before it does anything of its own.
import postgres from 'postgres';

let script = '';
for await (const chunk of process.stdin) script += chunk;
// The floor scripts (bench/support.ts) give each file a transaction of its own: BEGIN; ...; COMMIT;
const transactions = script.split(/(?<=\nCOMMIT;\n)/).filter((text) => text.trim() !== '');
const sql = postgres(process.env.DATABASE_URL, { max: 1, onnotice: () => {} });
try {
  await Promise.all(transactions.map((text) => sql.unsafe(text).simple()));
} finally {
  await sql.end();
}
