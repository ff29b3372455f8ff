import { bad, defineRule, good } from '../rule.js';

export const rule = defineRule({
  id: 'rename-or-drop',
  severity: 'warning',
  catches: 'renaming or dropping a column or table (in a migration; rollbacks are exempt)',
  why: 'code still running against the old schema breaks',
  safe: 'stop using it in the code first and deploy; drop or rename it in a later migration',
  examples: [
    bad('ALTER TABLE orders RENAME COLUMN note TO remark;'),
    bad('ALTER TABLE orders DROP COLUMN IF EXISTS note;'),
    bad('DROP TABLE IF EXISTS orders;'),
    good("COMMENT ON COLUMN orders.note IS 'kept';"),
    good('DROP TABLE IF EXISTS orders;\nALTER TABLE t DROP COLUMN IF EXISTS c;', 'rollback'),
  ],
  // A rollback undoes its own migration: what it drops or renames back is what that migration made.
  visitor: ({ migration, report }) =>
    migration
      ? {
          rename: ({ statement, object, table }) => report(statement, `RENAME ${object} on ${table}`),
          drop: ({ statement, object }) => {
            if (object === 'table') report(statement, 'DROP TABLE');
          },
          alter: ({ statement, table, subtype, name }) => {
            if (subtype === 'AT_DropColumn') report(statement, `DROP COLUMN ${table}.${name}`);
          },
        }
      : {},
});
