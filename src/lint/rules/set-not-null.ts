import { names, obj, str } from '../ast.js';
import { bad, defineRule, good } from '../rule.js';

export const rule = defineRule({
  id: 'set-not-null',
  severity: 'warning',
  catches: 'SET NOT NULL on an existing table without a validated CHECK (col IS NOT NULL) first',
  why: 'it scans the whole table under an ACCESS EXCLUSIVE lock',
  safe: 'ADD CONSTRAINT ... CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT; then SET NOT NULL (it uses the check)',
  examples: [
    bad('ALTER TABLE orders ALTER COLUMN note SET NOT NULL;'),
    bad('ALTER TABLE orders ADD CONSTRAINT ck_note CHECK (note IS NOT NULL) NOT VALID;\nALTER TABLE orders ALTER COLUMN note SET NOT NULL;'),
    good('ALTER TABLE orders ADD CONSTRAINT ck_note CHECK (note IS NOT NULL) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT ck_note;\nALTER TABLE orders ALTER COLUMN note SET NOT NULL;'),
  ],
  visitor: ({ existing, report }) => {
    // A validated CHECK (col IS NOT NULL) lets SET NOT NULL skip its scan; a NOT VALID one counts once validated.
    const checked = new Set<string>();
    const pending = new Map<string, string>();
    return {
      constraint: ({ table, constraint, added }) => {
        if (!added || constraint['contype'] !== 'CONSTR_CHECK') return;
        const test = obj(obj(constraint['raw_expr'])['NullTest']);
        const column = names(obj(obj(test['arg'])['ColumnRef'])['fields']).at(-1);
        if (!column || test['nulltesttype'] !== 'IS_NOT_NULL') return;
        if (constraint['skip_validation']) pending.set(str(constraint['conname']) ?? '', `${table}.${column}`);
        else checked.add(`${table}.${column}`);
      },
      alter: ({ statement, table, subtype, name }) => {
        const validated = subtype === 'AT_ValidateConstraint' ? pending.get(name) : undefined;
        if (validated) checked.add(validated);
        if (subtype === 'AT_SetNotNull' && existing(table) && !checked.has(`${table}.${name}`)) {
          report(statement, `SET NOT NULL on ${table}.${name} without a validated CHECK first`);
        }
      },
    };
  },
});
