import { bad, defineRule, good } from '../rule.js';

export const rule = defineRule({
  id: 'empty-file',
  severity: 'warning',
  catches: 'a file with no statements',
  why: 'it is recorded as applied while doing nothing, which is usually a mistake',
  safe: 'write the migration, or delete the file',
  examples: [bad('-- nothing here yet\n'), bad('-- nothing here yet\n', 'rollback'), good('SELECT 1;')],
  visitor: ({ path, report }) => {
    let statements = 0;
    return {
      statement: () => void statements++,
      end: () => {
        if (statements === 0) report(0, `${path} has no statements`);
      },
    };
  },
});
