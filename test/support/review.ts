/** The project the review formats are shown with: in their golden tests and in the README's sample. */
import assert from 'node:assert/strict';
import { makeProject, type Project } from './project.js';

const APPLIED = {
  'migrations/001_customers.sql': "-- Migration: customers\nCREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);\nCOMMENT ON TABLE customers IS 'who buys';\n",
};

/** Pending: one file with findings (and text that would break naive markdown), one clean no-transaction file. */
const PENDING = {
  'migrations/002_customer_note.sql': "-- Migration: a note on each customer, <b>shown</b> & kept\nALTER TABLE customers ADD COLUMN note varchar(20);\n-- a ``` fence inside the file\n",
  'migrations/003_ix_customers_name.sql': '-- pgshift:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS ix_customers_name ON customers (name);\n',
};

let schemas = 0;

/** 001 applied to a schema of its own on `url`; 002 and 003 pending. `args` adds the schema to a command line. */
export async function reviewProject(url: string): Promise<{ project: Project; args: (...args: string[]) => string[] }> {
  const project = await makeProject(APPLIED, url);
  const schema = `review_${process.pid}_${++schemas}`;
  const args = (...words: string[]): string[] => [...words, '--schema', schema];
  assert.equal((await project.run(args('up'))).status, 0);
  for (const [path, text] of Object.entries(PENDING)) await project.write(path, text);
  return { project, args };
}
