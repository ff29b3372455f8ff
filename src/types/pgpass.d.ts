declare module 'pgpass' {
  interface ConnectionInfo {
    host?: string;
    port?: number | string;
    database?: string;
    user?: string;
  }
  function pgPass(connInfo: ConnectionInfo, callback: (password: string | undefined) => void): void;
  export default pgPass;
}
