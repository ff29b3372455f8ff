/**
 * Test databases: every migration applied once, into a template named after what its content depends on,
 * then a clone of it (CREATE DATABASE ... TEMPLATE) for each test, in the time the server takes to copy a
 * database. Builds and prunes take one advisory lock, so parallel workers build a template once; a build
 * that fails or is interrupted drops what it made, and one that was killed is dropped by the next.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ResolvedOptions } from '../config/migrator-options.js';
import type { Catalog } from '../core/catalog.js';
import { failValidation, PgshiftError } from '../core/errors.js';
import { Memo } from '../core/memo.js';
import {
  cloneName,
  hostTag,
  planPrune,
  templateName,
  type PruneStep,
} from '../core/test-databases.js';
import { openSession } from '../db/connect.js';
import { connectionUrl, redactUrl, resolveEndpoint, withDatabase } from '../db/endpoint.js';
import { acquireLock, releaseLock } from '../db/lock.js';
import { processExists } from '../db/postmaster.js';
import { ServerError } from '../db/server-error.js';
import type { Session } from '../db/session.js';
import type { ConnectionSettings } from '../db/settings.js';
import {
  connectedTo,
  createDatabase,
  dropTestDatabase,
  listTestDatabases,
  markTemplate,
  noteDatabase,
  templateState,
  testDatabaseFailure,
  TEST_DATABASES_LOCK,
} from '../db/test-databases.js';
import { PGSHIFT_VERSION } from '../version.js';
import type { CallOptions, PruneResult, TestDatabase, TestDatabaseCall } from '../migrator-types.js';
import { catalogFor } from './files.js';

const DAY = 86400;

export async function testDatabase(context: ResolvedOptions, call: TestDatabaseCall = {}): Promise<TestDatabase> {
  const shared = { ...context, memo: context.memo ?? new Memo() };
  const catalog = await catalogFor(shared);
  if (catalog.problems.length > 0) failValidation(catalog.problems);
  const settings = serverOf(context);
  return withAdmin(context, settings, call.signal, async (session) => {
    const template = templateOf(context, session, catalog);
    const maker = { host: hostTag(hostname()), pid: call.detached === true ? 0 : process.pid, created: nowSeconds() };
    const name = cloneName(template, maker, randomBytes(2).toString('hex'));
    for (let attempt = 1; ; attempt++) {
      if ((await templateState(session, template)) !== 'ready') await build(shared, session, { settings, template, call });
      try {
        await createDatabase(session, name, template);
        break;
      } catch (error) {
        // A prune dropped the template between the look and the copy: build it again, once.
        if (attempt === 1 && error instanceof ServerError && error.fields.sqlState === '3D000') continue;
        throw testDatabaseFailure(error, `cannot clone ${template} into ${name}`, await connectedTo(session, template).catch(() => []));
      }
    }
    context.logger.info(`test database ${name} cloned from ${template}`);
    return handle(context, settings, name);
  });
}

/** Drops one test database by name; anything not named like one is refused. */
export async function dropNamed(context: ResolvedOptions, name: string, call: CallOptions = {}): Promise<void> {
  if (!/^pgshift_test_[0-9a-f_]+$/.test(name)) {
    throw new PgshiftError('USAGE', `${JSON.stringify(name)} is not the name of a test database`, {
      hint: 'test databases are named pgshift_test_...; templates (pgshift_tpl_...) are removed by pgshift test-db prune',
    });
  }
  await withAdmin(context, serverOf(context), call.signal, async (session) => {
    const known = (await listTestDatabases(session)).some((row) => row.name === name);
    if (!known) throw new PgshiftError('USAGE', `there is no test database ${name} on this server`, { hint: 'pgshift test-db prune lists what it removes; nothing else needs dropping' });
    await dropTestDatabase(session, name, false).catch((error: unknown) => {
      throw testDatabaseFailure(error, `cannot drop ${name}`);
    });
    context.logger.info(`test database ${name} dropped`);
  });
}

/**
 * Drops every template but the one the current files make, its unfinished builds, clones older than
 * `keepSeconds`, and clones left on this machine by processes that are gone (unless kept).
 */
export async function prune(context: ResolvedOptions, call: TestDatabaseCall = {}): Promise<PruneResult> {
  const catalog = await catalogFor(context);
  return withAdmin(context, serverOf(context), call.signal, async (session) => {
    // Files with problems make no template: every template goes.
    const current = catalog.problems.length > 0 ? undefined : templateOf(context, session, catalog);
    return { dropped: await whileBuildLocked(context, session, call.signal, () => dropOld(context, session, current, 'prune', call.keepSeconds ?? DAY)) };
  });
}

/** The template the files make on this server for this role. */
function templateOf(context: ResolvedOptions, session: Session, catalog: Catalog): string {
  return templateName({
    pgshiftVersion: PGSHIFT_VERSION,
    serverMajor: Number.parseInt(session.info.serverVersion, 10),
    user: session.info.user,
    schema: context.schema,
    table: context.table,
    migrations: catalog.migrations,
    repeatables: catalog.repeatables,
  });
}

/** Builds `template` under the lock, unless another process finished it meanwhile. */
async function build(
  context: ResolvedOptions,
  session: Session,
  { settings, template, call }: { readonly settings: ConnectionSettings; readonly template: string; readonly call: TestDatabaseCall },
): Promise<void> {
  await whileBuildLocked(context, session, call.signal, async () => {
    if ((await templateState(session, template)) === 'ready') return;
    // Another files' old templates and what killed builds left (this template's own unfinished one too).
    await dropOld(context, session, template, 'build', call.keepSeconds ?? DAY);
    const started = performance.now();
    await createDatabase(session, template).catch((error: unknown) => {
      throw testDatabaseFailure(error, `cannot create the template ${template}`);
    });
    try {
      const { up } = await import('./up.js');
      await up({ ...context, target: withDatabase(settings, template) }, { lint: false, ...(call.signal ? { signal: call.signal } : {}) });
      await markTemplate(session, template, { built: nowSeconds() });
    } catch (error) {
      // Nothing half-built stays: the next call builds it again from the start.
      await dropTestDatabase(session, template, false).catch(() => undefined);
      throw error;
    }
    context.logger.info(`template ${template} built in ${Math.round(performance.now() - started)} ms`);
  });
}

async function dropOld(context: ResolvedOptions, session: Session, current: string | undefined, mode: 'prune' | 'build', keepSeconds: number): Promise<PruneStep[]> {
  const steps = planPrune(await listTestDatabases(session), {
    current,
    now: nowSeconds(),
    keepSeconds,
    host: hostTag(hostname()),
    alive: processExists,
    mode,
  });
  const dropped: PruneStep[] = [];
  for (const step of steps) {
    // Another role's database may not be ours to drop: it stays, and the rest go on.
    const gone = await dropTestDatabase(session, step.name, step.template).then(() => true, () => false);
    if (!gone) continue;
    context.logger.info(`dropped ${step.name}: ${step.reason}`);
    dropped.push(step);
  }
  return dropped;
}

async function whileBuildLocked<T>(context: ResolvedOptions, session: Session, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
  await acquireLock(session, TEST_DATABASES_LOCK, {
    waitMs: context.lockWaitMs,
    logger: context.logger,
    signal,
    named: { lock: "the test databases' lock", hint: 'another process is building a template or pruning test databases; wait for it, or raise --lock-wait (lockWaitSeconds)' },
  });
  try {
    return await work();
  } finally {
    await releaseLock(session, TEST_DATABASES_LOCK).catch(() => undefined);
  }
}

function handle(context: ResolvedOptions, settings: ConnectionSettings, name: string): TestDatabase {
  const url = connectionUrl(resolveEndpoint(withDatabase(settings, name)));
  const onServer = (what: string, work: (session: Session) => Promise<void>) => () =>
    withAdmin(context, settings, undefined, (session) =>
      work(session).catch((error: unknown) => {
        throw testDatabaseFailure(error, `cannot ${what} ${name}`);
      }),
    );
  return {
    name,
    url,
    safeUrl: redactUrl(url),
    drop: onServer('drop', (session) => dropTestDatabase(session, name, false)),
    keep: onServer('keep', (session) => noteDatabase(session, name, { kept: nowSeconds() })),
  };
}

/** Test databases live on a server: an embedded one started for a single command would be gone after it. */
function serverOf(context: ResolvedOptions): ConnectionSettings {
  if ('embedded' in context.target) {
    throw new PgshiftError('USAGE', 'test databases need a PostgreSQL server that outlives the command', {
      hint: 'set DATABASE_URL or pass --database (the API: database, or embedded: true to start one for the life of the process)',
    });
  }
  return context.target;
}

async function withAdmin<T>(context: ResolvedOptions, settings: ConnectionSettings, signal: AbortSignal | undefined, work: (session: Session) => Promise<T>): Promise<T> {
  const session = await openSession(settings, context.logger, { waitSeconds: context.connectWaitSeconds, signal });
  try {
    return await work(session);
  } finally {
    await session.close().catch(() => undefined);
  }
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
