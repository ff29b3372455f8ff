/**
 * The programmatic API: createMigrator checks its options once and hands each method to its operation in
 * operations/. The CLI is a thin layer over this; nothing here prints, exits or reads the environment.
 */
import type { Migrator, MigratorOptions } from './migrator-types.js';
import { resolveOptions } from './config/migrator-options.js';
import { baseline } from './operations/baseline.js';
import { down } from './operations/down.js';
import { drift } from './operations/drift.js';
import { lint } from './operations/lint.js';
import { create } from './operations/new.js';
import { plan } from './operations/plan.js';
import { redo } from './operations/redo.js';
import { repair } from './operations/repair.js';
import { status } from './operations/status.js';
import { up } from './operations/up.js';
import { validate } from './operations/validate.js';
import { trace } from './operations/trace.js';
import { verify } from './operations/verify.js';

export { migrateMany } from './operations/many.js';
export { targetsFromQuery } from './operations/targets-query.js';

export function createMigrator(options: MigratorOptions = {}): Migrator {
  const context = resolveOptions(options);
  return {
    up: (call = {}) => up(context, call),
    down: (call = {}) => down(context, call),
    plan: (call) => plan(context, call),
    redo: (call = {}) => redo(context, call),
    verify: (call = {}) => verify(context, call),
    drift: (call = {}) => drift(context, call),
    trace: (call = {}) => trace(context, call),
    lint: (call = {}) => lint(context, call),
    repair: (call = {}) => repair(context, call),
    create: (name) => create(context, name),
    baseline: (call) => baseline(context, call),
    status: (call = {}) => status(context, call),
    validate: (call = {}) => validate(context, call),
  };
}
