/**
 * The import rules of src/, checked by `npm run check:imports` (part of `npm test`): imports point
 * down the layers and never in a circle. Type-only imports count: a cycle through types is still a
 * cycle in how the code must be read.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules must not import each other in a circle, directly or through others.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'leaf-results',
      severity: 'error',
      comment: 'results.ts holds the data types every layer shares: it imports nothing of ours.',
      from: { path: '^src/results\\.ts$' },
      to: { path: '^src/' },
    },
    {
      name: 'leaf-errors',
      severity: 'error',
      comment: 'errors.ts is a leaf too: it may name the data errors carry (results.ts), nothing else.',
      from: { path: '^src/errors\\.ts$' },
      to: { path: '^src/', pathNot: '^src/results\\.ts$' },
    },
    {
      name: 'cli-on-top',
      severity: 'error',
      comment: 'Only the CLI imports the CLI: the library must work without it.',
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
