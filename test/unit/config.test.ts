/** Where the database comes from (README.md "Which database"), and how --table names the ledger. */
import assert from 'node:assert/strict';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { mergeEnvironment, resolveDatabase, type DatabaseChoice, type Environment } from '../../src/config/environment.js';
import { isPgshiftError } from '../../src/core/errors.js';
import { createLedgerSql, resolveLedgerTable } from '../../src/db/ledger.js';
import { describeEndpoint, parseConnectionUrl, redactUrl, resolveEndpoint } from '../../src/db/endpoint.js';

const CWD = '/srv/app';
const FLAG_URL = 'postgres://flag@db.example/app';
const ENV_URL = 'postgresql://env@db.example/app';

function resolve(env: Environment, flag?: string): DatabaseChoice {
  return resolveDatabase(flag, env, CWD);
}

function errorCodeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(isPgshiftError(error), `expected a PgshiftError, got ${String(error)}`);
    return error.code;
  }
  assert.fail('expected it to throw');
}

const embedded: DatabaseChoice = { target: { embedded: { dir: join(CWD, '.pgshift') } }, source: 'embedded' };

describe('resolveDatabase: first match wins', () => {
  const everything: Environment = { DATABASE_URL: ENV_URL, PGHOST: 'pg.internal', PGUSER: 'u' };

  test('--database beats DATABASE_URL and the PG variables', () => {
    assert.deepEqual(resolve(everything, FLAG_URL), { target: { url: FLAG_URL, applicationName: 'pgshift', origin: '--database' }, source: '--database' });
  });

  test('DATABASE_URL beats the PG variables', () => {
    assert.deepEqual(resolve(everything), {
      target: { url: ENV_URL, applicationName: 'pgshift', origin: 'DATABASE_URL from the environment' },
      source: 'DATABASE_URL',
    });
  });

  test('PGHOST beats the embedded database', () => {
    assert.equal(resolve({ PGHOST: 'pg.internal' }).source, 'PG variables');
  });

  test('with nothing set, the embedded database keeps its data in .pgshift under the working directory', () => {
    assert.deepEqual(resolve({}), embedded);
  });

  test('an empty --database or DATABASE_URL counts as not set', () => {
    // `DATABASE_URL=` in a .env file or a CI template must fall through, not be read as a URL.
    assert.equal(resolve({ DATABASE_URL: '', PGHOST: 'pg.internal' }, '').source, 'PG variables');
    assert.equal(resolve({ PGHOST: '' }).source, 'embedded');
  });

  for (const name of ['PGHOSTADDR', 'PGPORT', 'PGDATABASE', 'PGUSER']) {
    test(`${name} without PGHOST selects the libpq variables, as libpq does (never the embedded server)`, () => {
      const choice = resolve({ [name]: name === 'PGPORT' ? '5433' : 'x' });
      assert.equal(choice.source, 'PG variables');
      assert.equal((choice.target as { origin?: string }).origin, `${name} from the environment`);
    });
  }

  test('PGSERVICE is refused (CONFIG_INVALID): pgshift reads no service file, and must not guess the target', () => {
    assert.equal(errorCodeOf(() => resolve({ PGSERVICE: 'prod' })), 'CONFIG_INVALID');
    assert.equal(errorCodeOf(() => resolve({ PGSERVICE: 'prod', PGHOST: 'h' })), 'CONFIG_INVALID');
    assert.equal(resolve({ PGSERVICE: 'prod', DATABASE_URL: ENV_URL }).source, 'DATABASE_URL');
  });
});

describe('resolveDatabase: URLs', () => {
  test('a URL that is not postgres:// or postgresql:// is a usage error, whichever rule supplied it', () => {
    assert.equal(errorCodeOf(() => resolve({}, 'mysql://root@localhost/app')), 'USAGE');
    assert.equal(errorCodeOf(() => resolve({ DATABASE_URL: 'localhost:5432/app' })), 'USAGE');
  });

  test('the error names where the bad URL came from', () => {
    assert.throws(() => resolve({ DATABASE_URL: 'http://x' }), /^PgshiftError: DATABASE_URL must be/);
    assert.throws(() => resolve({}, 'http://x'), /^PgshiftError: --database must be/);
  });
});

describe('resolveDatabase: libpq variables', () => {
  test('PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE PGSSLMODE and PGAPPNAME become the connection settings', () => {
    const env: Environment = {
      PGHOST: 'instance.database.cloud.databricks.com',
      PGPORT: '5432',
      PGUSER: 'token-user',
      PGPASSWORD: 's3cret',
      PGDATABASE: 'databricks_postgres',
      PGSSLMODE: 'require',
      PGAPPNAME: 'nightly-deploy',
    };
    assert.deepEqual(resolve(env).target, {
      host: 'instance.database.cloud.databricks.com',
      port: 5432,
      user: 'token-user',
      password: 's3cret',
      database: 'databricks_postgres',
      sslmode: 'require',
      applicationName: 'nightly-deploy',
      origin: 'PGHOST, PGPORT, PGDATABASE, PGUSER from the environment',
    });
  });

  test('variables left unset are left out, so libpq\'s defaults apply when connecting', () => {
    assert.deepEqual(resolve({ PGHOST: 'localhost' }).target, { host: 'localhost', applicationName: 'pgshift', origin: 'PGHOST from the environment' });
  });

  for (const sslmode of ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']) {
    test(`PGSSLMODE=${sslmode} is honoured`, () => {
      assert.deepEqual(resolve({ PGHOST: 'localhost', PGSSLMODE: sslmode }).target, {
        host: 'localhost',
        applicationName: 'pgshift',
        origin: 'PGHOST from the environment',
        sslmode,
      });
    });
  }

  for (const sslmode of ['required', 'REQUIRE', 'true']) {
    test(`PGSSLMODE=${sslmode} is refused as CONFIG_INVALID rather than silently weakened, with what to set instead`, () => {
      assert.equal(errorCodeOf(() => resolve({ PGHOST: 'localhost', PGSSLMODE: sslmode })), 'CONFIG_INVALID');
      assert.throws(() => resolve({ PGHOST: 'localhost', PGSSLMODE: sslmode }), (error: unknown) => isPgshiftError(error) && /or unset it$/.test(error.hint ?? ''));
    });
  }

  for (const port of ['abc', '54x', '-1', '5432 ', '5e3', '0', '65536', '99999']) {
    test(`PGPORT=${JSON.stringify(port)} is refused as CONFIG_INVALID`, () => {
      assert.equal(errorCodeOf(() => resolve({ PGHOST: 'localhost', PGPORT: port })), 'CONFIG_INVALID');
    });
  }

  test('PGAPPNAME names the connection for a URL too', () => {
    assert.deepEqual(resolve({ DATABASE_URL: ENV_URL, PGAPPNAME: 'release-42' }).target, {
      url: ENV_URL,
      applicationName: 'release-42',
      origin: 'DATABASE_URL from the environment',
    });
  });
});

describe('resolveDatabase: embedded refused where a deploy runs', () => {
  for (const env of [{ CI: 'true' }, { CI: '1' }, { CI: 'TRUE' }, { NODE_ENV: 'production' }] as const) {
    test(`${JSON.stringify(env)} refuses the embedded database with EMBEDDED_REFUSED`, () => {
      assert.equal(errorCodeOf(() => resolve(env)), 'EMBEDDED_REFUSED');
    });
  }

  for (const env of [{ CI: 'false' }, { CI: '0' }, { CI: '' }, { NODE_ENV: 'development' }] as const) {
    test(`${JSON.stringify(env)} still allows the embedded database`, () => {
      assert.deepEqual(resolve(env), embedded);
    });
  }

  test('in CI a configured database is used as usual', () => {
    assert.equal(resolve({ CI: 'true', NODE_ENV: 'production', DATABASE_URL: ENV_URL }).source, 'DATABASE_URL');
    assert.equal(resolve({ CI: 'true', PGHOST: 'localhost' }).source, 'PG variables');
  });
});

describe('resolveLedgerTable', () => {
  test('an unqualified name is pinned to the current schema', () => {
    assert.deepEqual(resolveLedgerTable('schema_migrations', 'public'), {
      schema: 'public',
      name: 'schema_migrations',
      sql: '"public"."schema_migrations"',
      display: 'public.schema_migrations',
    });
  });

  test('a schema-qualified name ignores the current schema', () => {
    assert.deepEqual(resolveLedgerTable('pgshift.schema_migrations', 'public'), {
      schema: 'pgshift',
      name: 'schema_migrations',
      sql: '"pgshift"."schema_migrations"',
      display: 'pgshift.schema_migrations',
    });
  });

  test('bare parts fold to lower case as PostgreSQL folds them, ASCII letters only', () => {
    const table = resolveLedgerTable('Ops.\u00c4Migrations', null);
    assert.deepEqual([table.schema, table.name], ['ops', '\u00c4migrations']);
  });

  test('quoted parts keep their case and may hold dots and doubled quotes', () => {
    const table = resolveLedgerTable('"Ops"."Mig.rations ""v2"""', null);
    assert.deepEqual(
      { schema: table.schema, name: table.name, sql: table.sql },
      { schema: 'Ops', name: 'Mig.rations "v2"', sql: '"Ops"."Mig.rations ""v2"""' },
    );
  });

  test('an unqualified name with no current schema is CONFIG_INVALID', () => {
    assert.equal(errorCodeOf(() => resolveLedgerTable('schema_migrations', null)), 'CONFIG_INVALID');
  });

  for (const option of ['', 'a.b.c', '1abc', 'a b', 'a;drop table x', '"open', '""', 'a.', '.a', 'a..b', 'a-b']) {
    test(`${JSON.stringify(option)} is not a table name (USAGE)`, () => {
      assert.equal(errorCodeOf(() => resolveLedgerTable(option, 'public')), 'USAGE');
    });
  }
});

describe('createLedgerSql', () => {
  const table = resolveLedgerTable('"Ops".schema_migrations', null);

  test('creates the columns README.md lists, with their types, defaults and key', () => {
    const sql = createLedgerSql(table, { schemaExists: true });
    assert.match(sql, /^CREATE TABLE "Ops"\."schema_migrations" \(/);
    for (const column of [
      'version bigint PRIMARY KEY',
      'name text NOT NULL',
      'checksum text NOT NULL',
      'applied_at timestamptz NOT NULL DEFAULT now()',
      'applied_by text NOT NULL DEFAULT current_user',
      'execution_ms integer NOT NULL',
    ]) {
      assert.ok(sql.includes(`  ${column}`), `missing: ${column}`);
    }
  });

  test('creates the schema first only when it is missing', () => {
    assert.match(createLedgerSql(table, { schemaExists: false }), /^CREATE SCHEMA IF NOT EXISTS "Ops";\nCREATE TABLE /);
    assert.doesNotMatch(createLedgerSql(table, { schemaExists: true }), /CREATE SCHEMA/);
  });
});

test('a URL that cannot be parsed is redacted up to its last @, so no part of the password shows', () => {
  assert.equal(redactUrl('postgres://app:p@ss:w0rd@[::1:5432/db'), 'postgres://app:***@[::1:5432/db');
  assert.equal(redactUrl('postgres://app@127.0.0.1:notport/db?password=SECRETq'), 'postgres://app@127.0.0.1:notport/db?password=***');
  assert.equal(redactUrl('postgres://app@[::1/db?sslmode=require&api_token=t0k&x=1'), 'postgres://app@[::1/db?sslmode=require&api_token=***&x=1');
  assert.throws(() => parseConnectionUrl('postgres://app:s3cret@[::1:5432/db'), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.ok(!JSON.stringify({ ...error, message: error.message }).includes('s3cret'));
    return true;
  });
});

describe('mergeEnvironment: a .env file never changes the target the real environment defines', () => {
  const dotenv = (values: Environment) => ({ path: '/srv/app/.env', values });

  test('.env fills variables that are not set, and never overrides one that is', () => {
    const merged = mergeEnvironment({ PGSHIFT_LOG_LEVEL: 'warn' }, dotenv({ PGSHIFT_LOG_LEVEL: 'debug', PGSHIFT_WAIT: '5' }));
    assert.equal(merged.env['PGSHIFT_LOG_LEVEL'], 'warn');
    assert.equal(merged.env['PGSHIFT_WAIT'], '5');
    assert.deepEqual(merged.ignored, []);
  });

  test('exported PG variables outrank a DATABASE_URL in .env: the exported database is used, and the .env one named as ignored', () => {
    const real: Environment = { PGHOST: 'prod.internal', PGUSER: 'deploy', PGDATABASE: 'prod_db' };
    const merged = mergeEnvironment(real, dotenv({ DATABASE_URL: 'postgres://me@localhost/local_db', PGPORT: '6543', PGPASSWORD: 'from-dotenv' }));
    assert.deepEqual(merged.ignored, ['DATABASE_URL', 'PGPORT']);
    assert.deepEqual(merged.targetSetBy, ['PGHOST', 'PGDATABASE', 'PGUSER']);
    const choice = resolveDatabase(undefined, merged, CWD);
    assert.equal(choice.source, 'PG variables');
    assert.deepEqual(choice.target, {
      host: 'prod.internal',
      user: 'deploy',
      // A credential alone does not define the target: it still comes from .env.
      password: 'from-dotenv',
      database: 'prod_db',
      applicationName: 'pgshift',
      origin: 'PGHOST, PGDATABASE, PGUSER from the environment',
    });
  });

  test('one exported target variable is enough: .env contributes none of them', () => {
    const merged = mergeEnvironment({ PGDATABASE: 'prod_db' }, dotenv({ PGHOST: 'localhost', PGUSER: 'me' }));
    assert.deepEqual(merged.ignored, ['PGHOST', 'PGUSER']);
    assert.equal(merged.env['PGHOST'], undefined);
  });

  test('with no target in the environment, .env chooses it, and the choice names the file', () => {
    const merged = mergeEnvironment({}, dotenv({ DATABASE_URL: ENV_URL }));
    const choice = resolveDatabase(undefined, merged, CWD);
    assert.equal((choice.target as { origin?: string }).origin, 'DATABASE_URL from /srv/app/.env');
  });
});

describe('resolveEndpoint: every field decided by pgshift, with libpq defaults', () => {
  test('a URL gives every field; ?password= is used as libpq uses it, and wins over the user info', () => {
    const endpoint = resolveEndpoint({ url: 'postgres://app%40corp:url-pw@db.example:6432/my%20db?password=query-pw&sslmode=require&application_name=a' });
    assert.deepEqual(endpoint, {
      host: 'db.example',
      port: 6432,
      user: 'app@corp',
      database: 'my db',
      hostName: 'db.example',
      sslmode: 'require',
      password: 'query-pw',
      parameters: { application_name: 'a' },
    });
  });

  test('?dbname= ?host= ?port= ?user= win over the URL parts they repeat, as in libpq', () => {
    const endpoint = resolveEndpoint({ url: 'postgres://u@h:5432/db?dbname=other&host=h2&port=6543&user=u2' });
    assert.deepEqual([endpoint.database, endpoint.host, endpoint.port, endpoint.user], ['other', 'h2', 6543, 'u2']);
  });

  test('a URL parameter pgshift does not honour is CONFIG_INVALID naming it, never ignored', () => {
    for (const [query, name] of [['?options=-csearch_path%3Dx', 'options'], ['?foo=bar', 'foo'], ['?sslmode=require&search_path=s', 'search_path']]) {
      try {
        resolveEndpoint({ url: `postgres://u:pw@h/db${query}` });
        assert.fail(`accepted ${query}`);
      } catch (error) {
        assert.ok(isPgshiftError(error), String(error));
        assert.equal(error.code, 'CONFIG_INVALID');
        assert.match(error.message, new RegExp(`has \\?${name}=, which pgshift does not honour`));
        assert.ok(!error.message.includes(':pw@'), error.message);
      }
    }
  });

  test('an IPv6 host keeps its whole address (postgres.js would split it on ":")', () => {
    assert.equal(resolveEndpoint({ url: 'postgres://u@[2001:db8::1]:5433/d' }).host, '2001:db8::1');
    assert.equal(describeEndpoint(resolveEndpoint({ url: 'postgres://u@[::1]:5433/d' })), 'u@[::1]:5433/d');
  });

  test('a URL password beats PGPASSWORD (passed as the settings\' password); PGPASSWORD serves a URL without one', () => {
    assert.equal(resolveEndpoint({ url: 'postgres://u:in-url@h/d', password: 'pgpassword' }).password, 'in-url');
    assert.equal(resolveEndpoint({ url: 'postgres://u@h/d', password: 'pgpassword' }).password, 'pgpassword');
  });

  test('a bad percent escape is CONFIG_INVALID with the password hidden, not a URIError', () => {
    for (const url of ['postgres://u:%zz@h/db', 'postgres://u:s3cr%e7@h/db', 'postgres://%zz:pw@h/db', 'postgres://u:pw@h/%zz']) {
      try {
        resolveEndpoint({ url });
        assert.fail(`accepted ${url}`);
      } catch (error) {
        assert.ok(isPgshiftError(error), String(error));
        assert.equal(error.code, 'CONFIG_INVALID');
        assert.match(error.message, /has a bad percent escape: postgres:\/\//);
        assert.ok(!error.message.includes(':%zz@') && !error.message.includes('s3cr'), error.message);
      }
    }
  });

  test('PGHOSTADDR is where to connect, PGHOST the name TLS and .pgpass use', () => {
    const endpoint = resolveEndpoint({ host: 'db.example', hostaddr: '10.0.0.5' });
    assert.deepEqual([endpoint.host, endpoint.hostName], ['10.0.0.5', 'db.example']);
  });

  test('what nothing gives takes libpq defaults: port 5432, the OS user, a database named after the user', () => {
    const endpoint = resolveEndpoint({ host: 'h' });
    assert.deepEqual([endpoint.port, endpoint.user, endpoint.database], [5432, userInfo().username, userInfo().username]);
    assert.equal(resolveEndpoint({ host: 'h', user: 'x' }).database, 'x');
  });

  test('the target as named in logs and errors never holds the password', () => {
    assert.equal(describeEndpoint(resolveEndpoint({ url: 'postgres://app:s3cret@db.example/app?password=other' })), 'app@db.example:5432/app');
    assert.equal(describeEndpoint(resolveEndpoint({ host: '::1', port: 5433, user: 'u', password: 'pw', database: 'd' })), 'u@[::1]:5433/d');
  });
});

test("the API refuses database.url left undefined or empty (an unset variable) rather than take the local socket's server", async () => {
  const { createMigrator, createTestDatabase } = await import('../../src/index.js');
  // What a JavaScript caller passes when the variable is unset (TypeScript's exactOptionalPropertyTypes forbids it).
  for (const unset of [undefined, '']) {
    const url = unset as string;
    assert.throws(() => createMigrator({ database: { url } }), (error) => isPgshiftError(error) && error.code === 'USAGE' && /^database\.url is (undefined|empty): no server is named/.test(error.message));
    await assert.rejects(createTestDatabase({ database: { url } }), (error) => isPgshiftError(error) && error.code === 'USAGE');
  }
  assert.doesNotThrow(() => createMigrator({ database: { url: undefined as unknown as string, host: 'db.example' } }), 'another field names the server');
});
