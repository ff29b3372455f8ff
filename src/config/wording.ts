import type { PlanWords, Wording } from '../core/wording.js';
import { DEFAULTS } from './defaults.js';

/** The command line's words: what a user of the `pgshift` command types. */
export const CLI_WORDING: Wording = {
  option: (name) => `--${name}`,
  command: (name) => `pgshift ${name}`,
};

/** What a plan is told when its caller says nothing: the command line's words and default folders. */
export const CLI_PLAN_WORDS: PlanWords = {
  wording: CLI_WORDING,
  folders: { migrations: DEFAULTS.migrationsDir, rollbacks: DEFAULTS.rollbacksDir },
};
