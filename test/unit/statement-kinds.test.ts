/** clusterWideName: which statements reach beyond the database they run in, read from their words. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scanSql } from '../../src/core/sql-lexer.js';
import { clusterWideName } from '../../src/core/statement-kinds.js';

const nameOf = (sql: string): string | undefined => clusterWideName(scanSql(sql).statements[0]?.words ?? []);

test('roles, tablespaces, databases, the server configuration and comments on shared objects are server-wide', () => {
  const cases: Array<[string, string]> = [
    ['CREATE ROLE app_reader NOLOGIN;', 'CREATE ROLE'],
    ['create user deploy;', 'CREATE USER'],
    ['ALTER ROLE app SET search_path = app;', 'ALTER ROLE'],
    ['DROP GROUP IF EXISTS old;', 'DROP GROUP'],
    ["CREATE TABLESPACE fast LOCATION '/ssd';", 'CREATE TABLESPACE'],
    ['ALTER DATABASE app SET statement_timeout = 0;', 'ALTER DATABASE'],
    ["ALTER SYSTEM SET work_mem = '64MB';", 'ALTER SYSTEM'],
    ["COMMENT ON ROLE app IS 'the app';", 'COMMENT ON ROLE'],
    ['GRANT app_reader TO deploy;', 'GRANT role'],
    ['GRANT "Admins" TO deploy;', 'GRANT role'],
    ['REVOKE ADMIN OPTION FOR app_reader FROM deploy;', 'REVOKE role'],
    ['GRANT CONNECT ON DATABASE app TO PUBLIC;', 'GRANT ON DATABASE'],
    ['REVOKE TEMP ON DATABASE app FROM PUBLIC;', 'REVOKE ON DATABASE'],
    ['GRANT CREATE ON TABLESPACE pg_default TO PUBLIC;', 'GRANT ON TABLESPACE'],
    ['GRANT SET ON PARAMETER work_mem TO app;', 'GRANT ON PARAMETER'],
    ["SECURITY LABEL FOR selinux ON ROLE app IS 'x';", 'SECURITY LABEL ON ROLE'],
    ["CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p;", 'CREATE SUBSCRIPTION'],
    ['REASSIGN OWNED BY old TO new;', 'REASSIGN OWNED'],
    ['DROP OWNED BY old;', 'DROP OWNED'],
    ["COPY (SELECT 1) TO PROGRAM 'date >> /tmp/x';", 'COPY ... PROGRAM'],
    ["SELECT pg_create_physical_replication_slot('s');", 'pg_create_physical_replication_slot()'],
    ["SELECT dblink_exec('host=x', 'ALTER ROLE r CONNECTION LIMIT 1');", 'dblink_exec()'],
  ];
  for (const [sql, name] of cases) assert.equal(nameOf(sql), name, sql);
});

test('privileges, user mappings and per-database objects are not', () => {
  for (const sql of [
    'GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON big_table TO app;',
    'GRANT SELECT (a, b) ON t TO app;',
    'COPY program TO STDOUT;',
    'COPY t (program) FROM STDIN;',
    'SELECT dblink FROM links;',
    'GRANT USAGE ON SCHEMA app TO reader;',
    "SECURITY LABEL ON TABLE t IS 'x';",
    'GRANT SELECT ON ALL TABLES IN SCHEMA app TO reader;',
    'REVOKE GRANT OPTION FOR SELECT ON t FROM app;',
    'GRANT USAGE ON SCHEMA app TO app;',
    'GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA app TO app;',
    'CREATE USER MAPPING FOR app SERVER remote;',
    'CREATE TABLE roles (id int);',
    "COMMENT ON TABLE t IS 'x';",
    'SET ROLE app;',
    'CREATE EXTENSION IF NOT EXISTS pgcrypto;',
  ]) {
    assert.equal(nameOf(sql), undefined, sql);
  }
});
