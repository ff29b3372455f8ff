import { bad, defineRule, good } from '../rule.js';

export const rule = defineRule({
  id: 'alter-column-type',
  severity: 'warning',
  catches: 'ALTER COLUMN ... TYPE on an existing table',
  why: 'most type changes rewrite the table and its indexes under an ACCESS EXCLUSIVE lock',
  safe: 'add a new column, backfill, switch readers and writers, then drop the old one',
  examples: [bad('ALTER TABLE orders ALTER COLUMN note TYPE varchar;'), good("ALTER TABLE orders ALTER COLUMN note SET DEFAULT '';")],
  visitor: ({ existing, report }) => ({
    alter: ({ statement, table, subtype, name }) => {
      if (subtype === 'AT_AlterColumnType' && existing(table)) report(statement, `ALTER COLUMN ${table}.${name} TYPE`);
    },
  }),
});
