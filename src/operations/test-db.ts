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
import { analyzeScript } from '../core/file-analysis.js';
import { failValidation, isPgshiftError, PgshiftError, rewrap } from '../core/errors.js';
import { firstServerWide } from '../core/replay-plan.js';
import { Memo } from '../core/memo.js';
import { checkNumber } from '../core/numbers.js';
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
  databaseExists,
  listTestDatabases,
  markTemplate,
  noteDatabase,
  takeSpare,
  templateState,
  testDatabaseFailure,
  TEST_DATABASES_LOCK,
} from '../db/test-databases.js';
import { PGSHIFT_VERSION } from '../version.js';
import type { PruneResult, TestDatabase, TestDatabaseCall } from '../migrator-types.js';
import { catalogFor, parsedOrFail } from './files.js';
import { makeSpare, spareUnderWay } from './test-db-spares.js';

const DAY = 86400;
/** This machine, as clone names carry it: a pid means something only where it ran. */
const HOST = hostTag(hostname());

/** Each spare is a whole copy of the template, kept on the server: more than this is a mistake. */
const MAX_SPARES = 64;

/** A call's numbers, checked before anything starts or connects. */
export function checkTestDatabaseCall(call: TestDatabaseCall): void {
  // Before the general check, whose "too large" names the largest safe integer, not this limit.
  if (typeof call.spares === 'number' && Number.isFinite(call.spares) && call.spares > MAX_SPARES) {
    throw new PgshiftError('USAGE', `spares ${call.spares} is more than ${MAX_SPARES}: each spare is a whole copy of the template, kept on the server`, {
      hint: `give spares a whole number from 0 to ${MAX_SPARES}; one or two keep a test run fed`,
    });
  }
  checkNumber('spares', call.spares, 'count');
  checkNumber('keepSeconds', call.keepSeconds, 'seconds');
}

export async function testDatabase(context: ResolvedOptions, call: TestDatabaseCall = {}): Promise<TestDatabase> {
  checkTestDatabaseCall(call);
  const shared = { ...context, memo: context.memo ?? new Memo() };
  const settings = serverOf(context);
  // The files are read and hashed while the session connects; files with a problem fail first, as in up.
  const reading = catalogFor(shared);
  reading.catch(() => undefined);
  const checked = async (): Promise<Catalog> => {
    const catalog = await reading;
    if (catalog.problems.length > 0) failValidation(catalog.problems);
    return catalog;
  };
  const session = await openSession(settings, context.logger, { waitSeconds: context.connectWaitSeconds, signal: call.signal }).catch(async (error: unknown) => {
    await checked();
    throw error;
  });
  return withSession(session, async () => {
    const catalog = await checked();
    const template = templateOf(context, session, catalog);
    const maker = { host: HOST, pid: call.detached === true ? 0 : process.pid, created: nowSeconds() };
    const spares = call.spares ?? 0;
    for (let attempt = 1; ; attempt++) {
      if ((await templateState(session, template)) !== 'ready') await build(shared, session, { settings, template, call, catalog });
      const name = cloneName(template, maker, randomBytes(4).toString('hex'));
      try {
        // A spare ready is taken whatever this call's number: another call's, or one left by a larger number.
        await spareUnderWay(template);
        const spare = await takeSpare(session, template, name);
        if (spare === undefined) await createDatabase(session, name, template);
        context.logger.info(spare === undefined ? `test database ${name} cloned from ${template}` : `test database ${name} taken from the spare ${spare} of ${template}`);
        makeSpare(context, settings, template, spares);
        return handle(context, settings, name);
      } catch (error) {
        // A prune dropped the template between the look and the copy (build it again), or another process
        // drew the same name (draw again): a few times, never for ever.
        const state = error instanceof ServerError ? error.fields.sqlState : undefined;
        if (attempt < 3 && (state === '3D000' || state === '42P04' || state === '23505')) continue;
        throw testDatabaseFailure(error, `cannot clone ${template} into ${name}`, { holders: await connectedTo(session, template).catch(() => []) });
      }
    }
  });
}

/**
 * Drops every template but the one the current files make, its unfinished builds, clones older than
 * `keepSeconds`, and clones left on this machine by processes that are gone (unless kept).
 */
export async function prune(context: ResolvedOptions, call: TestDatabaseCall = {}): Promise<PruneResult> {
  checkTestDatabaseCall(call);
  const catalog = await catalogFor(context);
  await refuseUnbuildable(context, catalog);
  const settings = serverOf(context);
  return withAdmin(context, settings, call.signal, async (session) => {
    const current = templateOf(context, session, catalog);
    return whileBuildLocked(context, session, settings, call.signal, () => dropOld(context, session, current, 'prune', call.keepSeconds ?? DAY));
  });
}

/**
 * What would stop a build stops prune, before anything is dropped: files that make no template (a bad name,
 * a syntax error, an unwritten file) would make every template look like another files' one.
 */
async function refuseUnbuildable(context: ResolvedOptions, catalog: Catalog): Promise<void> {
  if (catalog.problems.length > 0) failValidation(catalog.problems);
  const files = [...catalog.migrations, ...catalog.repeatables].map((file) => ({ file, analysis: analyzeScript(file) }));
  const problems = files.flatMap(({ analysis }) => analysis.problems);
  if (problems.length > 0) failValidation(problems);
  await parsedOrFail(files, context.logger, context.memo);
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
  { settings, template, call, catalog }: { readonly settings: ConnectionSettings; readonly template: string; readonly call: TestDatabaseCall; readonly catalog: Catalog },
): Promise<void> {
  await whileBuildLocked(context, session, settings, call.signal, async () => {
    if ((await templateState(session, template)) === 'ready') return;
    // Another files' old templates, and what killed builds left (this template's own unfinished one too).
    await dropOld(context, session, template, 'build', call.keepSeconds ?? DAY);
    warnServerWide(context, catalog);
    const started = performance.now();
    await createDatabase(session, template).catch((error: unknown) => {
      throw testDatabaseFailure(error, `cannot create the template ${template}`);
    });
    try {
      const { up } = await import('./up.js');
      await up({ ...context, target: withDatabase(settings, template) }, { lint: false, ...(call.signal ? { signal: call.signal } : {}) });
      await markTemplate(session, template, { built: nowSeconds() });
    } catch (error) {
      // Nothing half-built stays: the next call builds it again from the start. A server gone meanwhile
      // drops nothing: then the next build does, as it drops any build that did not finish.
      const dropped = await dropTestDatabase(session, template, { template: false, force: true }).then(() => true, () => false);
      throw buildFailure(error, dropped);
    }
    context.logger.info(`template ${template} built in ${Math.round(performance.now() - started)} ms`);
  });
}

/**
 * What went wrong in the template said for a test database: `up`'s hints (run up again, the file resumes at
 * statement k) and the database it names are the template's, which is gone or goes at the next build. A
 * lost connection is no file's fault.
 */
function buildFailure(error: unknown, dropped: boolean): unknown {
  if (!isPgshiftError(error) || error.code === 'INTERRUPTED' || error.code === 'CONNECTION_FAILED') return error;
  const left = dropped ? 'nothing of the template is left' : 'the unfinished template is dropped by the next build';
  const then = error.code === 'CONNECTION_LOST' ? 'ask for a test database again once the server is reachable' : 'fix the file, then ask for a test database again';
  return rewrap(error, error.code, `building the test databases' template: ${error.message}`, { hint: `${left}: ${then}`, problems: error.problems });
}

/**
 * A statement that acts on the server, or on the database as a whole, does not belong to the template:
 * CREATE DATABASE ... TEMPLATE copies only what is inside a database (not ALTER DATABASE's settings or
 * grants), and a role it creates is the whole server's, there already when a build of other files runs it
 * again. It is said, not refused: such statements written to run twice work.
 */
function warnServerWide(context: ResolvedOptions, catalog: Catalog): void {
  const found = firstServerWide([...catalog.migrations, ...catalog.repeatables]);
  if (found === undefined) return;
  context.logger.warn(
    `${found.file.path}:${found.line}: ${found.name} acts on the whole server or database, not inside the template: test databases do not copy what it does to the database (settings, grants), and a role it makes stays on the server for every later build, which fails unless the statement can run twice`,
  );
}

async function dropOld(context: ResolvedOptions, session: Session, current: string, mode: 'prune' | 'build', keepSeconds: number): Promise<PruneResult> {
  const steps = planPrune(await listTestDatabases(session), {
    current,
    now: nowSeconds(),
    keepSeconds,
    host: HOST,
    alive: processExists,
    mode,
  });
  const dropped: PruneStep[] = [];
  const left: Array<{ name: string; reason: string }> = [];
  for (const step of steps) {
    // Only what nobody can be using is dropped with the connections still open to it (a gone process's
    // clone, an unfinished build); another role's database may not be ours to drop. Either way the rest go on.
    const failed = await dropTestDatabase(session, step.name, step).then(
      () => undefined,
      (error: unknown) => (error instanceof ServerError && error.fields.sqlState === '55006' ? 'in use' : (error as Error).message),
    );
    if (failed === undefined) {
      // A prune's caller is given the list; a build's is not.
      (mode === 'prune' ? context.logger.debug : context.logger.info).call(context.logger, `dropped ${step.name}: ${step.reason}`);
      dropped.push(step);
    } else {
      context.logger.info(`left ${step.name} (${step.reason}): ${failed}`);
      left.push({ name: step.name, reason: failed });
    }
  }
  return { dropped, left };
}

/**
 * `work` under the test databases' lock. Advisory locks are per database: it is taken in the server's
 * `postgres` database whatever database the caller names, so that builds and prunes reached through any
 * database exclude each other (on the caller's own session when that is where it is); on a server without
 * one (or closed to the role), in the caller's database.
 */
async function whileBuildLocked<T>(
  context: ResolvedOptions,
  admin: Session,
  settings: ConnectionSettings,
  signal: AbortSignal | undefined,
  work: () => Promise<T>,
): Promise<T> {
  const own = admin.info.database === 'postgres' ? undefined : await openSession(withDatabase(settings, 'postgres'), context.logger, { signal }).catch(() => undefined);
  const session = own ?? admin;
  try {
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
  } finally {
    await own?.close().catch(() => undefined);
  }
}

function handle(context: ResolvedOptions, settings: ConnectionSettings, name: string): TestDatabase {
  const url = connectionUrl(resolveEndpoint(withDatabase(settings, name)));
  const onServer = (what: string, work: (session: Session) => Promise<void>) => () =>
    withAdmin(context, settings, undefined, async (session) => {
      if (!(await databaseExists(session, name))) {
        throw new PgshiftError('USAGE', `cannot ${what} ${name}: it is no longer on the server`, { hint: 'it was dropped already (drop(), or pgshift test-db drop or prune)' });
      }
      await work(session).catch((error: unknown) => {
        throw testDatabaseFailure(error, `cannot ${what} ${name}`, { needs: 'owner' });
      });
    });
  return {
    name,
    url,
    safeUrl: redactUrl(url),
    drop: onServer('drop', (session) => dropTestDatabase(session, name, { template: false, force: true })),
    keep: onServer('keep', (session) => noteDatabase(session, name, { kept: nowSeconds() })),
  };
}

/** Test databases live on a server: an embedded one started for a single command would be gone after it. */
export function serverOf(context: ResolvedOptions): ConnectionSettings {
  if ('embedded' in context.target) {
    throw new PgshiftError('USAGE', 'test databases need a PostgreSQL server that outlives the command', {
      hint: 'set DATABASE_URL or pass --database (the API: database, or embedded: true to start one for the life of the process)',
    });
  }
  return context.target;
}

export async function withAdmin<T>(context: ResolvedOptions, settings: ConnectionSettings, signal: AbortSignal | undefined, work: (session: Session) => Promise<T>): Promise<T> {
  const session = await openSession(settings, context.logger, { waitSeconds: context.connectWaitSeconds, signal });
  return withSession(session, () => work(session));
}

async function withSession<T>(session: Session, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } finally {
    await session.close().catch(() => undefined);
  }
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
