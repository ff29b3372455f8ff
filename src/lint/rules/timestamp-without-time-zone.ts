import { typeName } from '../ast.js';
import { bad, defineRule, good } from '../rule.js';

export const rule = defineRule({
  id: 'timestamp-without-time-zone',
  severity: 'warning',
  catches: 'a timestamp (without time zone) column',
  why: 'it stores wall-clock values without an offset: times shift with the server and client time zones',
  safe: 'timestamptz',
  examples: [
    bad("CREATE TABLE IF NOT EXISTS ev (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at timestamp);\nCOMMENT ON TABLE ev IS 'x';"),
    good("CREATE TABLE IF NOT EXISTS ev (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at timestamptz);\nCOMMENT ON TABLE ev IS 'x';"),
  ],
  visitor: ({ report }) => ({
    column: ({ statement, table, name, def }) => {
      if (typeName(def).name === 'timestamp') report(statement, `column ${table}.${name} is timestamp without time zone`);
    },
  }),
});
