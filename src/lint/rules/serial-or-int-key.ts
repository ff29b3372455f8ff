import { typeName } from '../ast.js';
import { bad, defineRule, good } from '../rule.js';

const SERIAL = ['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2'];

export const rule = defineRule({
  id: 'serial-or-int-key',
  severity: 'warning',
  catches: 'serial columns, or an int/smallint primary key',
  why: 'serial has awkward ownership and permissions; a 32-bit key runs out',
  safe: 'bigint GENERATED ALWAYS AS IDENTITY',
  examples: [
    bad("CREATE TABLE IF NOT EXISTS ev (id serial PRIMARY KEY);\nCOMMENT ON TABLE ev IS 'x';"),
    bad("CREATE TABLE IF NOT EXISTS ev (id integer, PRIMARY KEY (id));\nCOMMENT ON TABLE ev IS 'x';"),
    good("CREATE TABLE IF NOT EXISTS ev (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);\nCOMMENT ON TABLE ev IS 'x';"),
  ],
  visitor: ({ report }) => ({
    column: ({ statement, table, name: column, def, primaryKey }) => {
      const { name } = typeName(def);
      if (SERIAL.includes(name)) report(statement, `column ${table}.${column} is ${name}`);
      else if (primaryKey && (name === 'int4' || name === 'int2')) {
        report(statement, `column ${table}.${column} is ${name === 'int4' ? 'an integer' : 'a smallint'} primary key`);
      }
    },
  }),
});
