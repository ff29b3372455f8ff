import { bad, defineRule, good } from '../rule.js';

export const rule = defineRule({
  id: 'create-if-not-exists',
  severity: 'warning',
  catches: 'CREATE TABLE, INDEX, SCHEMA, SEQUENCE or EXTENSION without IF NOT EXISTS',
  why: "the team's rule: a migration must also work on a database changed by hand",
  safe: 'CREATE ... IF NOT EXISTS',
  examples: [
    bad("CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);\nCOMMENT ON TABLE items IS 'x';"),
    bad('CREATE SCHEMA app;'),
    bad('-- pgshift:no-transaction\nCREATE INDEX CONCURRENTLY ix_o ON orders (note);'),
    good("CREATE TABLE IF NOT EXISTS items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);\nCOMMENT ON TABLE items IS 'x';"),
    good('CREATE EXTENSION IF NOT EXISTS pg_trgm;'),
    good('-- pgshift:no-transaction\nCREATE INDEX CONCURRENTLY ix_o ON orders (note);', 'rollback'),
  ],
  visitor: ({ migration, report }) => ({
    guard: ({ statement, verb, object, name, guarded }) => {
      if (verb !== 'CREATE' || guarded || !(object === 'TABLE' || migration)) return;
      report(statement, `CREATE ${object}${name === undefined ? '' : ` ${name}`} without IF NOT EXISTS`);
    },
  }),
});
