import { bad, defineRule, good } from '../rule.js';

export const rule = defineRule({
  id: 'drop-if-exists',
  severity: 'warning',
  catches: 'DROP without IF EXISTS',
  why: "the team's rule: a migration (and a rollback) must also work on a database changed by hand",
  safe: 'DROP ... IF EXISTS',
  examples: [bad('DROP VIEW old_view;'), bad('DROP VIEW old_view;', 'rollback'), good('DROP VIEW IF EXISTS old_view;')],
  visitor: ({ report }) => ({
    guard: ({ statement, verb, object, guarded }) => {
      if (verb === 'DROP' && !guarded) report(statement, `DROP ${object} without IF EXISTS`);
    },
  }),
});
