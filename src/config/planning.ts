/**
 * The plans as the migrator asks for them: its callers pass no words, so the command line's words and
 * default folders are filled in here, at the call site, and core never chooses them.
 */
import type { Catalog } from '../core/catalog.js';
import { planBaseline as baselineIn } from '../core/baseline.js';
import type { Problem } from '../core/errors.js';
import { validationProblems as problemsIn, type History } from '../core/ledger-problems.js';
import { planDown as downIn, type DownOptions, type DownStep } from '../core/plan-down.js';
import { planUp as upIn, type PlannedMigration, type UpOptions } from '../core/plan-up.js';
import type { SqlFile } from '../core/types.js';
import type { PlanWords } from '../core/wording.js';
import { CLI_PLAN_WORDS } from './wording.js';

type Worded<T extends PlanWords> = Omit<T, keyof PlanWords> & Partial<PlanWords>;

export function planUp(catalog: Catalog, history: History, options: Worded<UpOptions> = {}): PlannedMigration[] {
  return upIn(catalog, history, { ...CLI_PLAN_WORDS, ...options });
}

export function planDown(catalog: Catalog, history: History, options: Worded<DownOptions> = {}): DownStep[] {
  return downIn(catalog, history, { ...CLI_PLAN_WORDS, ...options });
}

export function planBaseline(catalog: Catalog, history: History, version: number, words: Partial<PlanWords> = {}): SqlFile[] {
  return baselineIn(catalog, history, version, { ...CLI_PLAN_WORDS, ...words });
}

export function validationProblems(catalog: Catalog, history: History, words: Partial<PlanWords> = {}): Problem[] {
  return problemsIn(catalog, history, { ...CLI_PLAN_WORDS, ...words });
}
