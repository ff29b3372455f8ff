import { names, obj, someNode } from '../ast.js';
import { bad, defineRule, good } from '../rule.js';

/** Functions whose value differs per row, so PostgreSQL cannot store one default for the existing rows. */
const VOLATILE = new Set(['random', 'gen_random_uuid', 'uuid_generate_v4', 'clock_timestamp', 'timeofday', 'nextval', 'txid_current']);

export const rule = defineRule({
  id: 'volatile-default',
  severity: 'warning',
  catches: 'ADD COLUMN with a volatile DEFAULT (random(), gen_random_uuid(), clock_timestamp(), nextval()) on an existing table',
  why: 'it rewrites the whole table under an ACCESS EXCLUSIVE lock',
  safe: 'add the column without a default (or a constant one), then backfill in batches',
  examples: [
    bad("ALTER TABLE orders ADD COLUMN IF NOT EXISTS token uuid DEFAULT gen_random_uuid();\nCOMMENT ON COLUMN orders.token IS 'x';"),
    good("ALTER TABLE orders ADD COLUMN IF NOT EXISTS token uuid;\nCOMMENT ON COLUMN orders.token IS 'x';"),
    good("ALTER TABLE orders ADD COLUMN IF NOT EXISTS added_at timestamptz DEFAULT now();\nCOMMENT ON COLUMN orders.added_at IS 'x';"),
  ],
  visitor: ({ existing, report }) => ({
    addColumn: ({ statement, table, name, constraints }) => {
      const defaults = constraints.filter((constraint) => constraint['contype'] === 'CONSTR_DEFAULT');
      const volatile = (node: Record<string, unknown>): boolean => VOLATILE.has(names(obj(node['FuncCall'])['funcname']).at(-1) ?? '');
      if (existing(table) && defaults.some((constraint) => someNode(constraint['raw_expr'], volatile))) {
        report(statement, `ADD COLUMN ${table}.${name} with a volatile DEFAULT`);
      }
    },
  }),
});
