import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const PURE = [
  'src/classifiers/**/*.ts',
  'src/report/render-*.ts',
  'src/report/html-assets.ts',
  'src/report/build.ts',
  'src/report/session.ts',
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'coverage/**',
      'node_modules/**',
      'docs/**',
      'test/browser/pages/**',
      '.scratch/**',
      '.bench-out/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-empty': ['error', { allowEmptyCatch: false }],
      'no-console': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**', 'src/bench/**', 'src/sim/**', 'src/ui/**'],
    rules: { 'no-console': 'error' },
  },
  {
    // Only the adapter may touch http-mitm-proxy.
    files: ['src/**/*.ts'],
    ignores: ['src/proxy/mitm-adapter.ts', 'src/bench/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'http-mitm-proxy',
              message: 'Only src/proxy/mitm-adapter.ts imports http-mitm-proxy.',
            },
          ],
        },
      ],
    },
  },
  {
    // The pipeline is pure: no I/O, no logger.
    files: PURE,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            'http-mitm-proxy',
            'pino',
            'node:fs',
            'node:net',
            'node:http',
            'node:https',
            'node:tls',
            'fs',
            'net',
            'http',
            'https',
          ].map((name) => ({
            name,
            message: 'The classification/report pipeline is pure: no I/O here.',
          })),
        },
      ],
    },
  },
);
