// Loaded into a pgshift process with NODE_OPTIONS=--import: PostgreSQL's parser (libpg-query) cannot be
// loaded in it, so a run that succeeds there did not load the parser. Resolving the package still works
// (the parse cache reads its version); loading it throws.
import { register } from 'node:module';

const hooks = `export async function load(url, context, next) {
  if (/[\\\\/]libpg-query[\\\\/]wasm[\\\\/]/.test(url)) throw new Error('libpg-query is blocked in this process');
  return next(url, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
