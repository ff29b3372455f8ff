/**
 * What a lint rule is. The walker (walk.ts) reads each statement once and tells every rule's visitor what it
 * found, in file order; a rule keeps whatever it needs to remember about the file inside its visitor.
 */
import type { VersionedKind } from '../core/types.js';
import type { Node } from './ast.js';

export type Severity = 'off' | 'warning' | 'error';

export interface RuleInfo {
  readonly id: string;
  /** What the rule catches. */
  readonly catches: string;
  /** Why it matters: the lock taken or the failure risked. */
  readonly why: string;
  /** The safe way to do it. */
  readonly safe: string;
}

/** A file that shows the rule: `fires` says whether linting it must give exactly this rule's finding, or none. */
export interface RuleExample {
  readonly sql: string;
  readonly fires: boolean;
  readonly kind: VersionedKind;
}

export const bad = (sql: string, kind: VersionedKind = 'migration'): RuleExample => ({ sql, fires: true, kind });
export const good = (sql: string, kind: VersionedKind = 'migration'): RuleExample => ({ sql, fires: false, kind });

/** Every event names the statement it came from, by its index in the file. */
interface At {
  readonly statement: number;
}

/** The IF [NOT] EXISTS of a CREATE or DROP. */
export interface GuardEvent extends At {
  readonly verb: 'CREATE' | 'DROP';
  /** Upper case, as the messages name it: TABLE, INDEX, SCHEMA, SEQ, EXTENSION, VIEW, ... */
  readonly object: string;
  readonly name?: string;
  readonly guarded: boolean;
}

/** A column defined by CREATE TABLE, or added by ALTER TABLE ... ADD COLUMN (`added`). */
export interface ColumnEvent extends At {
  readonly table: string;
  readonly name: string;
  readonly def: Node;
  readonly constraints: readonly Node[];
  readonly primaryKey: boolean;
  readonly added: boolean;
}

/** A table constraint of CREATE TABLE, or one added by ALTER TABLE ... ADD CONSTRAINT (`added`). */
export interface ConstraintEvent extends At {
  readonly table: string;
  readonly constraint: Node;
  readonly added: boolean;
}

export interface IndexEvent extends At {
  readonly table: string;
  readonly columns: readonly string[];
  readonly concurrent: boolean;
}

export interface DropEvent extends At {
  /** Lower case: table, index, view, ... */
  readonly object: string;
  readonly concurrent: boolean;
}

/** Any other ALTER TABLE command; `name` is the column or constraint it names. */
export interface AlterEvent extends At {
  readonly table: string;
  readonly subtype: string;
  readonly name: string;
}

export interface Visitor {
  /** Every statement, before the events of its parts: for a rule the events below do not serve. */
  statement?(event: At & { readonly kind: string; readonly node: Node }): void;
  guard?(event: GuardEvent): void;
  createTable?(event: At & { readonly table: string }): void;
  constraint?(event: ConstraintEvent): void;
  column?(event: ColumnEvent): void;
  /** After `column`, for ALTER TABLE ... ADD COLUMN only. */
  addColumn?(event: ColumnEvent): void;
  index?(event: IndexEvent): void;
  drop?(event: DropEvent): void;
  rename?(event: At & { readonly object: 'COLUMN' | 'TABLE'; readonly table: string }): void;
  alter?(event: AlterEvent): void;
  /** COMMENT ON TABLE (`target` is the table) or COLUMN (`table.column`), lower case. */
  comment?(event: At & { readonly target: string }): void;
  /** ALTER ROLE/DATABASE ... SET; `target` as `ROLE app` or `DATABASE app`. */
  setting?(event: At & { readonly target: string; readonly setting: string }): void;
  /** After the last statement, for rules about the file as a whole. */
  end?(): void;
}

export interface RuleContext {
  /** The file's path, as messages name it. */
  readonly path: string;
  readonly migration: boolean;
  readonly transaction: boolean;
  /** Tables the file has not created itself (so other sessions may be using them). */
  existing(table: string): boolean;
  report(statement: number, message: string): void;
}

export interface LintRule<Id extends string = string> extends RuleInfo {
  readonly id: Id;
  /** What a finding is when the project's configuration does not name the rule. */
  readonly severity: Exclude<Severity, 'off'>;
  readonly examples: readonly RuleExample[];
  /** A fresh visitor for each file. */
  readonly visitor: (context: RuleContext) => Visitor;
}

/** Keeps the id's literal type, from which the registry derives RuleId. */
export const defineRule = <Id extends string>(rule: LintRule<Id>): LintRule<Id> => rule;
