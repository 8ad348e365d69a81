// ESLint: the JavaScript and typescript-eslint recommended rules, without type information (fast
// enough for every `npm test`); the layout is Prettier's alone (eslint-config-prettier turns off the
// rules that would argue with it).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', '**/node_modules/'] },
  // An eslint-disable comment that no longer silences anything is an error: none goes stale again.
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      // As tsc's noUnusedParameters: a leading _ marks what is unused on purpose; the rest of an
      // object without some keys ({ sql: _sql, ...fields }) is the way to drop them.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // CommonJS files (configs, the benchmark's subjects) load modules with require().
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
