// Flat config: typescript-eslint's recommended rules over every TypeScript file of the project.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', '.vscode-test/**', 'node_modules/**', '*.vsix'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    // src/core and src/shared must run without VS Code: type-only imports of 'vscode' at most.
    files: ['src/core/**/*.ts', 'src/shared/**/*.ts', 'src/sampling/**/*.ts', 'src/cli.ts', 'webview/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { paths: [{ name: 'vscode', allowTypeImports: true, message: 'src/core, src/shared, the CLI and the webview must not import vscode at runtime.' }] }],
    },
  },
  {
    // src/domain is pure: rules over values, runnable anywhere (tests on recorded readings, a browser).
    files: ['src/domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'src/domain must not import vscode.' }, ...builtinModules.map((name) => ({ name, message: 'src/domain does no I/O: no Node modules.' }))],
          patterns: [{ group: ['node:*'], message: 'src/domain does no I/O: no Node modules.' }],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'writable', setInterval: 'readonly', clearInterval: 'readonly' } },
  },
);
