import { bad, defineRule, good } from '../rule.js';

export const rule = defineRule({
  id: 'role-or-database-setting',
  severity: 'warning',
  catches: 'ALTER ROLE ... SET or ALTER DATABASE ... SET',
  why: 'it changes the default for connections opened later: neither this run nor the migrations after it see the setting, whatever the file order suggests',
  safe: "SET LOCAL in each migration that needs the setting; keep ALTER ROLE/DATABASE ... SET for the defaults of later connections (the application's)",
  examples: [
    bad('ALTER ROLE app SET search_path = app, public;'),
    bad("ALTER DATABASE app SET timezone = 'UTC';"),
    good('SET LOCAL search_path = app, public;'),
    good('ALTER ROLE app WITH LOGIN;'),
  ],
  visitor: ({ report }) => ({
    setting: ({ statement, target, setting }) => report(statement, `ALTER ${target} ... ${setting} applies only to connections opened later, not to this run`),
  }),
});
