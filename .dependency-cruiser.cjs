/**
 * The import graph's rules, checked by `npm run lint:imports` and by test/unit/import-graph.test.ts.
 * Type-only imports count: a cycle through a type still ties two modules together.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'a module that imports itself through others cannot be understood, tested or moved on its own',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-stays-in-core',
      comment: "src/core decides without I/O: it imports only src/core and Node's built-ins (eslint says which)",
      severity: 'error',
      from: { path: '^src/core/' },
      to: { pathNot: '^src/core/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'nothing-depends-on-cli',
      comment: 'the CLI is the outermost layer: the API and everything under it work without it',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
