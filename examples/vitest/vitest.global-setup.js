import { startTestServer } from 'pgshift';

// Without DATABASE_URL, one embedded server for the whole run: the workers find it in DATABASE_URL.
export default async function setup() {
  if (process.env.DATABASE_URL) return;
  const server = await startTestServer();
  process.env.DATABASE_URL = server.url;
  return () => server.stop();
}
