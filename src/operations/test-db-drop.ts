/** `test-db drop`: one test database, by name or by the URL create printed, on the server this run reaches. */
import type { ResolvedOptions } from '../config/migrator-options.js';
import { PgshiftError } from '../core/errors.js';
import { redactUrl, resolveEndpoint } from '../db/endpoint.js';
import { isPostgresUrl, type ConnectionSettings } from '../db/settings.js';
import { databaseExists, dropTestDatabase, testDatabaseFailure } from '../db/test-databases.js';
import type { CallOptions } from '../migrator-types.js';
import { serverOf, withAdmin } from './test-db.js';

/** Drops one test database, by name or by the URL create gave; anything not named like one is refused. */
export async function dropNamed(context: ResolvedOptions, given: string, call: CallOptions = {}): Promise<string> {
  const settings = serverOf(context);
  const name = given.includes('://') ? databaseOfUrl(given) : given;
  if (name === undefined) {
    // Not said as given: a URL holds a password. Redacting may spell the scheme in lower case: it is shown as given.
    const redacted = redactUrl(given);
    const shown = `${given.slice(0, given.indexOf('://'))}${redacted.slice(redacted.indexOf('://'))}`;
    const why = isPostgresUrl(given) ? 'is not a URL pgshift can read' : 'does not start with postgres:// or postgresql:// (in lower case, as libpq reads it)';
    throw new PgshiftError('USAGE', `${shown} ${why}`, {
      hint: 'give the URL pgshift test-db create printed, or the test database by its name (pgshift_test_...)',
    });
  }
  refuseOtherServer(given, settings);
  if (!/^pgshift_test_[0-9a-f_]+$/.test(name)) {
    throw new PgshiftError('USAGE', `${JSON.stringify(name)} is not the name of a test database`, {
      hint: 'test databases are named pgshift_test_...; templates (pgshift_tpl_...) and their spares (pgshift_spare_...) are removed by pgshift test-db prune',
    });
  }
  return withAdmin(context, settings, call.signal, async (session) => {
    if (!(await databaseExists(session, name))) throw new PgshiftError('USAGE', `there is no test database ${name} on this server`, { hint: 'pgshift test-db prune lists what it removes; nothing else needs dropping' });
    await dropTestDatabase(session, name, { template: false, force: true }).catch((error: unknown) => {
      throw testDatabaseFailure(error, `cannot drop ${name}`, { needs: 'owner' });
    });
    context.logger.info(`test database ${name} dropped`);
    return name;
  });
}

/** A URL naming another server than the one connected to: its name there is not this server's to drop. */
function refuseOtherServer(given: string, settings: ConnectionSettings): void {
  if (databaseOfUrl(given) === undefined) return;
  const named = resolveEndpoint({ url: given });
  const server = resolveEndpoint(settings);
  if (named.hostName === server.hostName && named.port === server.port) return;
  throw new PgshiftError('USAGE', `the URL names the server ${named.hostName}:${named.port}, but this command reaches ${server.hostName}:${server.port}`, {
    hint: 'point DATABASE_URL (or --database) at the server the URL names, or give the test database by name',
  });
}

function databaseOfUrl(text: string): string | undefined {
  if (!isPostgresUrl(text)) return undefined;
  try {
    return decodeURIComponent(new URL(text).pathname.slice(1));
  } catch {
    return undefined;
  }
}
