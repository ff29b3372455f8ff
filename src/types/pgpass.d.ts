declare module 'pgpass' {
  import type { Writable } from 'node:stream';
  interface ConnectionInfo {
    host?: string;
    port?: number | string;
    database?: string;
    user?: string;
  }
  function pgPass(connInfo: ConnectionInfo, callback: (password: string | undefined) => void): void;
  namespace pgPass {
    /** Where pgpass writes why it ignored a password file (process.stderr unless told). */
    function warnTo(stream: Writable): void;
  }
  export default pgPass;
}
