import type { PlanWords, Wording } from '../core/wording.js';
import { DEFAULTS } from './defaults.js';

/** The command line's words: what a user of the `pgshift` command types. */
export const CLI_WORDING: Wording = {
  option: (name) => `--${name}`,
  command: (name) => `pgshift ${name}`,
};

/** What the planner is told: the command line's words, and the folders the files are read from. */
export function cliPlanWords(folders: PlanWords['folders'] = { migrations: DEFAULTS.migrationsDir, rollbacks: DEFAULTS.rollbacksDir }): PlanWords {
  return { wording: CLI_WORDING, folders };
}
