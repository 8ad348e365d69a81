// Run by `npm run build` after tsc. The single-file runtime, dist/migrator.js: the CLI and every dependency in one file, so that a
// start reads and compiles one file instead of resolving and loading some hundred modules.
// postgres-migrations reads its own first migration from next to its code (__dirname), which in
// the bundle is dist/, so that file is copied there. pg-native is an optional addon we never use.
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);
const LIBRARY_MIGRATION = 'migrations/0_create-migrations-table.sql';

/**
 * pino loads worker_threads, its transport's thread-stream and sonic-boom (which loads assert) as
 * it starts, on every run. The CLI gives pino its own destination and uses no
 * transport, so in this build they are left out; anything that still reaches them throws.
 */
const leftOut = {
  name: 'left-out-of-pino',
  setup(build) {
    const fromPino = (args) => /[\\/]node_modules[\\/]pino[\\/]/.test(args.importer);
    build.onResolve({ filter: /^(node:)?(worker_threads|thread-stream|sonic-boom)$/ }, (args) =>
      fromPino(args) ? { path: args.path, namespace: 'left-out' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => ({
      loader: 'js',
      contents: /worker_threads$/.test(args.path)
        ? 'module.exports = { isMainThread: true };'
        : `module.exports = function leftOut() { throw new Error(${JSON.stringify(`${args.path} is not part of dist/migrator.js`)}); };`,
    }));
  },
};

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/migrator.js',
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  external: ['pg-native'],
  plugins: [leftOut],
  // Less to read, parse and keep in memory on every start; names stay, so stacks stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});

mkdirSync(path.dirname(path.join('dist', LIBRARY_MIGRATION)), { recursive: true });
copyFileSync(path.join(path.dirname(require.resolve('postgres-migrations')), LIBRARY_MIGRATION), path.join('dist', LIBRARY_MIGRATION));
