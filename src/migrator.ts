/**
 * The programmatic API: createMigrator checks its options once and hands each method to its operation in
 * operations/. The CLI is a thin layer over this; nothing here prints, exits or reads the environment.
 *
 * Each operation's module is loaded when its method is first called: a command loads the code it runs and
 * not the rest (a no-op `up` need not compile drift, trace or lint rules).
 */
import type { ConnectionSettings, ManyOptions, ManyResult, Migrator, MigratorOptions, Target, TestDatabase, TestDatabaseOptions } from './migrator-types.js';
import type { Logger } from './core/logger.js';
import type { StartedTestServer } from './operations/test-server.js';
import { resolveOptions } from './config/migrator-options.js';
import type { TargetsQueryOptions } from './operations/targets-query.js';

export function createMigrator(options: MigratorOptions = {}): Migrator {
  const context = resolveOptions(options);
  return {
    up: async (call = {}) => (await import('./operations/up.js')).up(context, call),
    down: async (call = {}) => (await import('./operations/down.js')).down(context, call),
    plan: async (call) => (await import('./operations/plan.js')).plan(context, call),
    redo: async (call = {}) => (await import('./operations/redo.js')).redo(context, call),
    verify: async (call = {}) => (await import('./operations/verify.js')).verify(context, call),
    drift: async (call = {}) => (await import('./operations/drift.js')).drift(context, call),
    trace: async (call = {}) => (await import('./operations/trace.js')).trace(context, call),
    lint: async (call = {}) => (await import('./operations/lint.js')).lint(context, call),
    repair: async (call = {}) => (await import('./operations/repair.js')).repair(context, call),
    create: async (name) => (await import('./operations/new.js')).create(context, name),
    baseline: async (call) => (await import('./operations/baseline.js')).baseline(context, call),
    status: async (call = {}) => (await import('./operations/status.js')).status(context, call),
    validate: async (call = {}) => (await import('./operations/validate.js')).validate(context, call),
    testDatabase: async (call = {}) => (await import('./operations/test-db.js')).testDatabase(context, call),
    dropTestDatabase: async (name, call = {}) => (await import('./operations/test-db-drop.js')).dropNamed(context, name, call),
    pruneTestDatabases: async (call = {}) => (await import('./operations/test-db.js')).prune(context, call),
  };
}

/** Runs one command on many targets, each through the same operation as one database, a failure as that target's result. */
export async function migrateMany(targets: readonly Target[], options: ManyOptions = {}): Promise<ManyResult> {
  return (await import('./operations/many.js')).migrateMany(targets, options);
}

/**
 * A new database with every migration applied, cloned from a template built once per set of files: on
 * `database`, or with `embedded: true` on an embedded server shared by the processes of the test run.
 */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  return (await import('./operations/test-server.js')).createTestDatabase(options);
}

/** The embedded test server, for a test runner's global setup: its URL for the workers, and stop() for the teardown. */
export async function startTestServer(options: { readonly cwd?: string; readonly logger?: Logger } = {}): Promise<StartedTestServer> {
  return (await import('./operations/test-server.js')).startTestServer(options);
}

/** The targets one read-only query on `database` lists: a column `target` (a URL or a schema name), and optionally `name`. */
export async function targetsFromQuery(database: ConnectionSettings, sql: string, options: TargetsQueryOptions = {}): Promise<Target[]> {
  return (await import('./operations/targets-query.js')).targetsFromQuery(database, sql, options);
}
