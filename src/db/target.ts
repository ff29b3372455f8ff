/** How a command names the database it connected to, and who chose it. */
import { describeEndpoint, isSocket, resolveEndpoint } from './endpoint.js';
import type { SessionInfo } from './session.js';
import type { ConnectionSettings } from './settings.js';

/** The one line a command logs when it has connected: which database, how it is secured, and who chose it. */
export function connectedTarget(settings: ConnectionSettings, info: SessionInfo): { message: string; fields: { target: string; sslmode: string | null; tls: boolean; source: string } } {
  const endpoint = resolveEndpoint(settings);
  const target = describeEndpoint(endpoint);
  const sslmode = endpoint.sslmode ?? null;
  const configured = isSocket(endpoint.host) ? 'a Unix socket' : sslmode === null ? 'sslmode not set' : `sslmode=${sslmode}`;
  const source = settings.origin ?? 'the program';
  return {
    message: `connected to ${target} (${configured}, ${info.tls ? 'TLS negotiated' : 'no TLS'}), chosen by ${source}`,
    fields: { target, sslmode, tls: info.tls, source },
  };
}
