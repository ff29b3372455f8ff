import type { ConnectionSettings } from '../../src/db/settings.js';

/** A postgres:// URL for connection settings, for handing to child processes through the environment. */
export function databaseUrl(settings: ConnectionSettings, database = settings.database ?? 'postgres'): string {
  const user = encodeURIComponent(settings.user ?? 'postgres');
  const password = settings.password === undefined ? '' : `:${encodeURIComponent(settings.password)}`;
  return `postgres://${user}${password}@${settings.host ?? '127.0.0.1'}:${settings.port ?? 5432}/${database}`;
}
