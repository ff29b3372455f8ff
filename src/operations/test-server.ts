/**
 * The API's ways into test databases from a test suite: createTestDatabase (on a server given, or on the
 * embedded test server when asked for it explicitly) and startTestServer (that server, for a runner's global
 * setup to hand to its workers).
 */
import { join, resolve } from 'node:path';
import { DEFAULTS } from '../config/defaults.js';
import { resolveOptions } from '../config/migrator-options.js';
import { defined } from '../core/defined.js';
import { PgshiftError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { connectionUrl, resolveEndpoint } from '../db/endpoint.js';
import { requireMigrationsFolder } from '../io/loader.js';
import { joinTestServer, type TestServer } from '../db/test-server.js';
import type { ConnectionSettings } from '../db/settings.js';
import type { TestDatabase, TestDatabaseOptions } from '../migrator-types.js';
import { checkTestDatabaseCall, testDatabase } from './test-db.js';

/** Another worker's template build can take minutes (a long history, backfills): wait for it this long by default. */
const BUILD_WAIT_SECONDS = 600;

const leaving = new WeakSet<TestServer>();

export async function createTestDatabase(options: TestDatabaseOptions): Promise<TestDatabase> {
  const { embedded, keepSeconds, detached, signal, spares, ...migratorOptions } = options;
  // Before the embedded server starts: a wrong number must not cost an initdb. null is no number either.
  checkTestDatabaseCall(defined({ keepSeconds, spares }));
  if (embedded === true && migratorOptions.database !== undefined) {
    throw new PgshiftError('USAGE', 'createTestDatabase was given both database and embedded: true', { hint: 'give one: a server to use, or embedded: true to start one' });
  }
  let context = resolveOptions({ lockWaitSeconds: BUILD_WAIT_SECONDS, ...migratorOptions });
  if (embedded === true) {
    // Before an initdb in the wrong folder: a missing migrations folder fails as it would after.
    await requireMigrationsFolder(context.dirs);
    const server = await joinTestServer(serverFolder(options.cwd), options.logger ?? silentLogger);
    // The process leaves once it has nothing left to do: the last one out stops the server.
    if (!leaving.has(server)) {
      leaving.add(server);
      process.once('beforeExit', () => void server.leave());
    }
    context = { ...context, target: server.settings };
  }
  // The embedded test server is the run's own: a spare left there at the end is the next run's first database.
  return testDatabase(context, defined({ keepSeconds, detached, signal, spares: spares ?? (embedded === true ? 1 : 0) }));
}

/** The embedded test server, for a test runner's global setup: its URL to hand to the workers, and stop() for its teardown. */
export interface StartedTestServer {
  /** The server's `postgres` database, password included: data for the workers, not for a log. */
  readonly url: string;
  readonly settings: ConnectionSettings;
  /** Stops it, unless another process of the run still uses it. */
  stop(): Promise<void>;
}

export async function startTestServer(options: { readonly cwd?: string; readonly logger?: Logger } = {}): Promise<StartedTestServer> {
  const server = await joinTestServer(serverFolder(options.cwd), options.logger ?? silentLogger);
  return { url: connectionUrl(resolveEndpoint(server.settings)), settings: server.settings, stop: () => server.leave() };
}

function serverFolder(cwd: string | undefined): string {
  return join(resolve(cwd ?? process.cwd()), DEFAULTS.embeddedDir, 'test-server');
}
