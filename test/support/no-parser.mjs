// Loaded into a pgshift process with NODE_OPTIONS=--import: PostgreSQL's parser (libpg-query) cannot be
// loaded in it, so a run that succeeds there did not load the parser. Resolving the package still works
// (the parse cache reads its version); loading it throws, whether imported (the API) or required (the CLI's
// bundle, which is CommonJS).
import Module, { register } from 'node:module';

const blocked = /[\\/]libpg-query[\\/]wasm[\\/]/;
const hooks = `export async function load(url, context, next) {
  if (${blocked}.test(url)) throw new Error('libpg-query is blocked in this process');
  return next(url, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);

const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (blocked.test(Module._resolveFilename(request, parent, isMain))) throw new Error('libpg-query is blocked in this process');
  return load.call(this, request, parent, isMain);
};
