import { typeName } from '../ast.js';
import { bad, defineRule, good } from '../rule.js';

export const rule = defineRule({
  id: 'varchar-length',
  severity: 'warning',
  catches: 'varchar(n)',
  why: 'the limit is a constraint in disguise, and raising it later can rewrite the table',
  safe: 'text (with a CHECK on length if a limit matters)',
  examples: [
    bad("CREATE TABLE IF NOT EXISTS ev (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, code varchar(20));\nCOMMENT ON TABLE ev IS 'x';"),
    good("CREATE TABLE IF NOT EXISTS ev (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, code text);\nCOMMENT ON TABLE ev IS 'x';"),
  ],
  visitor: ({ report }) => ({
    column: ({ statement, table, name, def }) => {
      const type = typeName(def);
      if (type.name === 'varchar' && type.modifiers > 0) report(statement, `column ${table}.${name} is varchar(n)`);
    },
  }),
});
