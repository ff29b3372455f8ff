const { startTestServer } = require('pgshift');

// Without DATABASE_URL, one embedded server for the whole run: the workers find it in DATABASE_URL.
module.exports = async () => {
  if (process.env.DATABASE_URL) return;
  globalThis.pgshiftTestServer = await startTestServer();
  process.env.DATABASE_URL = globalThis.pgshiftTestServer.url;
};
