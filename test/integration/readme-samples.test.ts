/**
 * Every sample of pgshift's output in README.md is what pgshift prints. A sample is a fenced block right
 * after a `<!-- sample: NAME -->` comment; SCENARIOS[NAME] makes a throwaway project, runs the real CLI and
 * returns the text the sample shows. Both sides are normalised by NORMALISE only (times, durations, hex ids,
 * temporary paths), so any other difference fails the suite with both texts printed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { testDatabase } from '../support/database.js';
import { cleanEnv, finished, inTerminal, logLines, makeProject, type Project, repoRoot, spawnPgshift } from '../support/project.js';
import { reviewProject } from '../support/review.js';
import { SLOW_INDEX } from '../support/slow-index.js';
import { waitFor } from '../support/wait.js';

const db = await testDatabase(import.meta.url);

/** What varies from run to run, and nothing else. Applied to the README's text and to pgshift's alike. */
const NORMALISE: ReadonlyArray<readonly [RegExp, string]> = [
  [/\r\n/g, '\n'],
  [/\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?Z/g, '<time>'],
  [/\b\d+ ms\b/g, '<n> ms'],
  // The status table's ms column is as wide as its largest number: its cells and their padding.
  [/ +ms +rollback$/gm, ' ms rollback'],
  [/<time> +\d+ +(yes|no)$/gm, '<time> <n> $1'],
  [/ - +- +(yes|no)$/gm, ' - - $1'],
  // The repeatable files' table ends with its ms column instead.
  [/^(repeatable +state +applied at) +ms$/gm, '$1 ms'],
  [/<time> +\d+$/gm, '<time> <n>'],
  [/ - +-$/gm, ' - -'],
  [/\b[0-9a-f]{7,64}\b/g, '<hex>'],
  [/\/tmp\/pgshift-project-\w+/g, '<project>'],
  [/\b(127\.0\.0\.1|localhost):\d+/g, '$1:<port>'],
  [/\bpgshift_readme_samples_[0-9a-f]+\b/g, '<database>'],
  // A table's pages on disk may differ by a few between server versions; the row estimates after ANALYZE do not.
  [/\(\d+(\.\d)? (bytes|kB|MB|GB), /g, '(<size>, '],
  [/\bpid \d+/g, 'pid <n>'],
  // A many-database run's time column: seconds with two decimals.
  [/\b\d+\.\d\d s\b/g, '<n> s'],
  [/\brunning \d+ s\b/g, 'running <n> s'],
  // A live progress line: seconds, a percentage and the counts it stands for.
  [/\b\d+ s\b/g, '<n> s'],
  [/\b\d+% \(\d+\/\d+ (blocks|tuples)\)/g, '<n>% (<n>/<n> $1)'],
  // Where a run connected: the README names a server of its own, the test its scratch database.
  [/^(connected to | +database: )\S+/gm, '$1<target>'],
];

function normalise(text: string): string {
  return NORMALISE.reduce((result, [pattern, replacement]) => result.replace(pattern, replacement), text);
}

const git = (dir: string, ...args: string[]) =>
  promisify(execFile)('git', ['-c', 'user.email=docs@example.com', '-c', 'user.name=docs', ...args], { cwd: dir });

/** pgshift with stderr on a terminal, where errors are written for people, not as JSON. */
async function onTerminal(project: Project, args: readonly string[]): Promise<string> {
  return (await inTerminal(project.dir, args, cleanEnv({ DATABASE_URL: db.url }))).stdout;
}

/** The README's example project: the table 001 makes, and 002 whose view names a column that does not exist. */
const ORDERS = {
  'migrations/001_customers.sql': '-- Migration: customers\nCREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);\n',
  'rollbacks/001_customers.sql': 'DROP TABLE customers;\n',
  'migrations/002_orders.sql': `-- Migration: orders, and how many each customer placed
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers);
CREATE INDEX ix_orders_customer_id ON orders (customer_id);

CREATE VIEW order_counts AS
  SELECT customer, count(*) AS orders
  FROM orders GROUP BY customer;
`,
  'rollbacks/002_orders.sql': 'DROP VIEW order_counts;\nDROP TABLE orders;\n',
};

/** 002 with its view fixed, as the README's reader fixes it after the failed-statement sample. */
const FIXED_ORDERS = ORDERS['migrations/002_orders.sql'].replaceAll('customer,', 'customer_id,').replace('BY customer;', 'BY customer_id;');

let schemas = 0;

/** A project of `files` whose runs use a schema of their own, so that the scenarios can share the file's database. */
async function sampleProject(files: Readonly<Record<string, string>>) {
  const project = await makeProject(files, db.url);
  const schema = `sample_${++schemas}`;
  return { project, args: (...args: string[]): string[] => [...args, '--schema', schema] };
}

/** A database of its own for a scenario that needs a whole one (drift compares every schema, trace weighs tables by name). */
async function ownDatabase<T>(suffix: string, work: (url: string) => Promise<T>): Promise<T> {
  const name = `${db.name}_${suffix}`;
  await db.sql.unsafe(`CREATE DATABASE "${name}"`);
  const url = new URL(db.url);
  url.pathname = `/${name}`;
  try {
    return await work(url.toString());
  } finally {
    await db.sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
}

/**
 * The README's drift example: ORDERS applied to a database of its own (drift compares every schema), then
 * changed by hand three ways; what drift and drift --sql print then. Run once for both samples.
 */
let driftRuns: Promise<{ readonly text: string; readonly sql: string }> | undefined;
function driftOutputs(): Promise<{ readonly text: string; readonly sql: string }> {
  driftRuns ??= ownDatabase('drift', async (url) => {
    const project = await makeProject({ ...ORDERS, 'migrations/002_orders.sql': FIXED_ORDERS }, url);
    assert.equal((await project.run(['up'])).status, 0);
    const sql = postgres(url, { max: 1, onnotice: () => undefined });
    await sql.unsafe(`DROP INDEX ix_orders_customer_id;
ALTER TABLE customers ALTER COLUMN name SET DEFAULT 'unknown';
ALTER TABLE orders ADD COLUMN note text;`);
    await sql.end();
    const [text, script] = [await project.run(['drift']), await project.run(['drift', '--sql'])];
    for (const run of [text, script]) assert.equal(run.status, 3, run.stderr);
    return { text: text.stdout, sql: script.stdout };
  });
  return driftRuns;
}

/** The README's trace example: ORDERS applied and holding rows, then 003 traced with sizes from that database. */
const ORDER_TOTALS = `-- Migration: order totals, never negative, and customers found by name
ALTER TABLE orders ADD COLUMN total numeric(12,2) NOT NULL DEFAULT 0;
ALTER TABLE orders ADD CONSTRAINT ck_orders_total CHECK (total >= 0);
-- pgshift:allow index-not-concurrent customers is small and rarely written; the index goes with this file
CREATE INDEX ix_customers_name ON customers (name);
`;

/**
 * The README's out-of-order example: 001, 002 and 004 deployed, then 003 merged from another branch; what
 * status and validate print then. Run once for both samples.
 */
let outOfOrderRuns: Promise<{ readonly status: string; readonly validate: string }> | undefined;
function outOfOrderOutputs(): Promise<{ readonly status: string; readonly validate: string }> {
  outOfOrderRuns ??= (async () => {
    const table = (name: string): string => `CREATE TABLE ${name} (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers);\n`;
    const { project, args } = await sampleProject({
      'migrations/001_customers.sql': ORDERS['migrations/001_customers.sql'],
      'rollbacks/001_customers.sql': 'DROP TABLE customers;\n',
      'migrations/002_invoices.sql': `-- Migration: invoices\n${table('invoices')}`,
      'rollbacks/002_invoices.sql': 'DROP TABLE invoices;\n',
      'migrations/004_orders.sql': `-- Migration: orders\n${table('orders')}`,
      'rollbacks/004_orders.sql': 'DROP TABLE orders;\n',
    });
    assert.equal((await project.run(args('up'))).status, 0);
    await project.write('migrations/003_customer_email.sql', '-- Migration: customer email\nALTER TABLE customers ADD COLUMN email text;\n');
    await project.write('rollbacks/003_customer_email.sql', 'ALTER TABLE customers DROP COLUMN email;\n');
    const validate = await project.run(args('validate'));
    assert.equal(validate.status, 3, validate.stderr);
    return { status: (await project.run(args('status'))).stdout, validate: validate.stdout };
  })();
  return outOfOrderRuns;
}

const SCENARIOS: Readonly<Record<string, () => Promise<string>>> = {
  /** The README's repeatable files: v_things applied with 001 and 002, then changed; v_totals new. */
  async 'repeatable-status'() {
    const { project, args } = await sampleProject({
      'migrations/001_things.sql': 'CREATE TABLE things (id bigint PRIMARY KEY, name text);\n',
      'migrations/002_name_length.sql': 'DROP VIEW IF EXISTS v_things;\nALTER TABLE things ALTER COLUMN name TYPE varchar(100);\n',
      'repeatable/v_things.sql': 'CREATE OR REPLACE VIEW v_things AS SELECT id, name FROM things;\n',
    });
    assert.equal((await project.run(args('up'))).status, 0);
    await project.write('repeatable/v_things.sql', 'CREATE OR REPLACE VIEW v_things AS SELECT id, name, length(name) AS name_length FROM things;\n');
    await project.write('repeatable/v_totals.sql', 'CREATE OR REPLACE VIEW v_totals AS SELECT count(*) AS things FROM things;\n');
    const run = await project.run(args('status'));
    assert.equal(run.status, 0, run.stderr);
    return run.stdout;
  },

  async 'review-github'() {
    const { project, args } = await reviewProject(db.url);
    const run = await project.run(args('up', '--dry-run', '--format', 'github'));
    assert.equal(run.status, 0, run.stderr);
    return run.stdout;
  },

  async 'out-of-order-status'() {
    return (await outOfOrderOutputs()).status;
  },

  async 'out-of-order-validate'() {
    return (await outOfOrderOutputs()).validate;
  },

  trace: () =>
    ownDatabase('trace', async (url) => {
      const project = await makeProject({ ...ORDERS, 'migrations/002_orders.sql': FIXED_ORDERS }, url);
      assert.equal((await project.run(['up'])).status, 0);
      const sql = postgres(url, { max: 1, onnotice: () => undefined });
      await sql.unsafe(`INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 20000) g;
INSERT INTO orders SELECT g, 1 + g % 20000 FROM generate_series(1, 100000) g;
ANALYZE customers; ANALYZE orders;`);
      await sql.end();
      await project.write('migrations/003_order_totals.sql', ORDER_TOTALS);
      const run = await project.run(['trace', '--big', '512kB']);
      assert.equal(run.status, 0, run.stderr);
      return run.stdout;
    }),


  async drift() {
    return (await driftOutputs()).text;
  },

  /** Three tenant schemas listed by a query; one of them already has a table the second migration creates. */
  async many() {
    const project = await makeProject({ ...ORDERS, 'migrations/002_orders.sql': FIXED_ORDERS }, db.url);
    await db.sql.unsafe(`CREATE SCHEMA catalog;
CREATE TABLE catalog.tenants (schema_name text, name text);
INSERT INTO catalog.tenants VALUES ('tenant_acme', 'acme'), ('tenant_globex', 'globex'), ('tenant_initech', 'initech');
CREATE SCHEMA tenant_initech;
CREATE TABLE tenant_initech.orders (id int);`);
    const run = await project.run(['up', '--targets-query', 'SELECT schema_name AS target, name FROM catalog.tenants ORDER BY name']);
    assert.equal(run.status, 6, run.stderr);
    return run.stdout;
  },

  async 'drift-sql'() {
    return (await driftOutputs()).sql;
  },

  async 'failed-statement'() {
    const { project, args } = await sampleProject(ORDERS);
    const output = await onTerminal(project, args('up'));
    return output.slice(output.search(/^error: /m));
  },

  /** The info line naming the target, as the JSON log's message (a terminal shows it with the line's fields). */
  async 'target-line'() {
    const { project, args } = await sampleProject({});
    const url = new URL(db.url);
    const run = await project.run(args('status'), {
      env: { DATABASE_URL: undefined, PGHOST: url.hostname, PGPORT: url.port, PGUSER: url.username, PGDATABASE: url.pathname.slice(1), PGPASSWORD: decodeURIComponent(url.password), PGSSLMODE: 'prefer' },
    });
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { msg: string });
    return `${lines.map((line) => line.msg).filter((msg) => msg.startsWith('connected to ')).join('\n')}\n`;
  },

  /** What a second run says while the first holds the migration lock: the holder's file, never its SQL. */
  async 'progress-line'() {
    return ownDatabase('progress', async (url) => {
      const project = await makeProject(SLOW_INDEX, url);
      const { stdout } = await inTerminal(project.dir, ['up', '--no-lint'], cleanEnv({ DATABASE_URL: url }), 200);
      // The live line as last drawn while the build had a rate: what a look at the terminal shows then.
      const drawn = stdout.split('\r\u001b[K').filter((part) => / left in this phase$/.test(part));
      assert.ok(drawn.length > 0, stdout);
      return `${drawn.at(-1)}\n`;
    });
  },

  async 'lock-holder'() {
    const { project, args } = await sampleProject({ 'migrations/003_x.sql': 'SELECT pg_sleep(5);\n' });
    const holder = finished(spawnPgshift(args('up'), project.dir, cleanEnv({ DATABASE_URL: db.url })));
    await waitFor(async () => {
      const rows = await db.sql`SELECT 1 FROM pg_stat_activity WHERE application_name LIKE 'pgshift up: migrations/003\\_x.sql @%'`;
      return rows.length > 0;
    }, 'the first run reaching 003_x.sql');
    const waiter = await project.run(args('up', '--lock-wait', '1'));
    assert.equal(waiter.status, 4, waiter.stderr);
    assert.equal((await holder).status, 0);
    const messages = logLines(waiter.stderr).map((line) => String(line['msg']));
    return `${messages.filter((msg) => msg.startsWith('waiting for the migration lock')).join('\n')}\n`;
  },

  async status() {
    const { project, args } = await sampleProject(ORDERS);
    await project.write('migrations/002_orders.sql', FIXED_ORDERS);
    await project.write('migrations/003_order_totals.sql', '-- Migration: order totals\nALTER TABLE orders ADD COLUMN IF NOT EXISTS total numeric(12,2);\n');
    assert.equal((await project.run(args('up', '--to', '2'))).status, 0);
    return (await project.run(args('status'))).stdout;
  },

  async repair() {
    const { project, args } = await sampleProject(ORDERS);
    await project.remove('migrations/002_orders.sql');
    await project.remove('rollbacks/002_orders.sql');
    await git(project.dir, 'init', '-q');
    await git(project.dir, 'add', '.');
    await git(project.dir, 'commit', '-qm', 'customers');
    assert.equal((await project.run(args('up'))).status, 0);
    await project.write('migrations/001_customers.sql', '-- Migration: customers (one row per paying customer)\nCREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);\n');
    return (await project.run(args('repair'))).stdout;
  },
};

interface Block {
  readonly line: number;
  readonly info: string;
  readonly text: string;
  readonly sample?: string;
}

/** The README's fenced blocks, each with the sample name of a `<!-- sample: NAME -->` line right before it. */
function fencedBlocks(readme: string): Block[] {
  const lines = readme.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)$/.exec(lines[i] as string);
    if (!open) continue;
    const close = lines.indexOf('```', i + 1);
    const marker = /^<!-- sample: ([\w-]+) -->$/.exec(lines[i - 1] ?? '');
    blocks.push({ line: i + 1, info: open[1] as string, text: `${lines.slice(i + 1, close).join('\n')}\n`, ...(marker ? { sample: marker[1] } : {}) });
    i = close;
  }
  return blocks;
}

/** Output, not input: a block without a language, or one holding a line only pgshift's output has. */
const LOOKS_LIKE_OUTPUT = /^(error|warning): |^ +hint: |^version +name +state|^recorded the current checksum|^nothing to (repair|apply|revert)|^no problems found/m;

const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
const blocks = fencedBlocks(readme);
const samples = blocks.filter((block) => block.sample !== undefined);

test('every marked README sample has a scenario, and every scenario a sample', () => {
  assert.deepEqual(samples.map((block) => block.sample).sort(), Object.keys(SCENARIOS).sort());
});

test('every README block that looks like pgshift output is marked as a sample', () => {
  const unmarked = blocks.filter((block) => block.sample === undefined && (block.info === '' || LOOKS_LIKE_OUTPUT.test(block.text)));
  assert.deepEqual(unmarked.map((block) => `README.md:${block.line}`), [], 'mark each with <!-- sample: NAME --> and add a scenario');
});

for (const block of samples) {
  test(`README sample "${block.sample}" (README.md:${block.line}) is what pgshift prints`, async () => {
    const scenario = SCENARIOS[block.sample as string];
    assert.ok(scenario, `no scenario for the sample "${block.sample}"`);
    const expected = normalise(block.text);
    const actual = normalise(await scenario());
    assert.ok(
      actual === expected,
      `README.md:${block.line} sample "${block.sample}" is not what pgshift prints (both normalised).\n--- README.md says:\n${expected}--- pgshift printed:\n${actual}---`,
    );
  });
}
