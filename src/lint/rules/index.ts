/**
 * The registry of lint rules. A rule is one module in this folder, named by its id, plus one line in
 * RULE_LIST; the ids, the public RULES table and the README's table all follow this list and its order.
 */
import type { LintRule, RuleInfo } from '../rule.js';
import { rule as addColumnNotNull } from './add-column-not-null.js';
import { rule as alterColumnType } from './alter-column-type.js';
import { rule as concurrentlyInTransaction } from './concurrently-in-transaction.js';
import { rule as constraintNotValid } from './constraint-not-valid.js';
import { rule as createIfNotExists } from './create-if-not-exists.js';
import { rule as dropIfExists } from './drop-if-exists.js';
import { rule as emptyFile } from './empty-file.js';
import { rule as foreignKeyIndex } from './foreign-key-index.js';
import { rule as indexNotConcurrent } from './index-not-concurrent.js';
import { rule as missingComment } from './missing-comment.js';
import { rule as renameOrDrop } from './rename-or-drop.js';
import { rule as roleOrDatabaseSetting } from './role-or-database-setting.js';
import { rule as serialOrIntKey } from './serial-or-int-key.js';
import { rule as setNotNull } from './set-not-null.js';
import { rule as timestampWithoutTimeZone } from './timestamp-without-time-zone.js';
import { rule as uniqueConstraint } from './unique-constraint.js';
import { rule as varcharLength } from './varchar-length.js';
import { rule as volatileDefault } from './volatile-default.js';

export type { RuleInfo } from '../rule.js';

export const RULE_LIST = [
  indexNotConcurrent,
  addColumnNotNull,
  volatileDefault,
  alterColumnType,
  setNotNull,
  constraintNotValid,
  uniqueConstraint,
  renameOrDrop,
  concurrentlyInTransaction,
  createIfNotExists,
  dropIfExists,
  foreignKeyIndex,
  missingComment,
  timestampWithoutTimeZone,
  serialOrIntKey,
  varcharLength,
  roleOrDatabaseSetting,
  emptyFile,
] as const;

export type RuleId = (typeof RULE_LIST)[number]['id'];

/** What each rule catches, why, and the safe way: the public description of the rules, without their code. */
export const RULES: ReadonlyArray<RuleInfo & { readonly id: RuleId }> = RULE_LIST.map(({ id, catches, why, safe }) => ({ id, catches, why, safe }));

export const RULE_IDS: ReadonlySet<string> = new Set(RULES.map((rule) => rule.id));

export const RULE_BY_ID = Object.fromEntries(RULE_LIST.map((rule) => [rule.id, rule])) as Readonly<Record<RuleId, LintRule<RuleId>>>;
