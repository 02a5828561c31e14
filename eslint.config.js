// ESLint with typescript-eslint's type-checked recommended rules over the TypeScript sources and
// tests. `npm test` runs it. Silencing the compiler with `as any` or `as never` is an error: a
// value whose type is unclear gets a real type or a checked conversion.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // Every TypeScript file is held to the rules, the sandbox (src/sandbox, test/sandbox) included;
  // only build output, installed packages, generated modules and data are left out.
  { ignores: ['dist/**', 'node_modules/**', 'src/modules/generated*/**', 'bench/results/**', 'playbooks/**', 'coverage/**'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        // vitest.resilience.config.ts is outside tsconfig.json's include (tsc need not check it): typed with its options
        projectService: { allowDefaultProject: ['vitest.resilience.config.ts'], defaultProject: 'tsconfig.json' },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-syntax': ['error', { selector: 'TSAsExpression > TSNeverKeyword', message: '`as never` silences the compiler: give the value its real type' }],
      // a task type's check/apply/revert are async by contract; one with nothing to await is fine
      '@typescript-eslint/require-await': 'off',
      // names starting with _ are deliberately unused (destructuring that drops fields)
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', fetch: 'readonly', performance: 'readonly' },
    },
    // as in the TypeScript files: names starting with _ are deliberately unused
    rules: { 'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }] },
  },
);
