import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The product (src/) never imports the tooling: the simulator (sim/, shipped only for `demo` and
// `sim`, which load it) and the benchmark and fixture tools (tools/, not shipped).
const TOOLING = [
  {
    group: ['**/tools/**', '**/sim/**'],
    message: 'src/ is the product: it does not import sim/ or tools/.',
  },
];

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
    ignores: ['src/cli/**', 'src/ui/**'],
    rules: { 'no-console': 'error' },
  },
  {
    // The global console belongs to the process: no product module replaces its methods
    // (http-mitm-proxy logs through it; mitm-library.ts keeps it silent by overriding the two
    // methods that print, see there). test/unit/architecture/imports.test.ts checks the same.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "AssignmentExpression > MemberExpression.left[object.name='console'], AssignmentExpression > MemberExpression.left > MemberExpression.object[property.name='console']",
          message: 'Do not patch the global console (see src/proxy/mitm-library.ts).',
        },
        {
          selector:
            "CallExpression[callee.object.name='Object'][callee.property.name=/^(assign|defineProperty|defineProperties|setPrototypeOf)$/] > Identifier.arguments:first-child[name='console']",
          message: 'Do not patch the global console (see src/proxy/mitm-library.ts).',
        },
      ],
    },
  },
  {
    // (One block per file for the rule: a later block's options replace an earlier one's.)
    // The one module that imports http-mitm-proxy and touches its internals.
    files: ['src/proxy/mitm-library.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: TOOLING }] },
  },
  {
    // The two commands that start the simulator load it; they still never touch http-mitm-proxy.
    files: ['src/cli/commands/demo.ts', 'src/cli/commands/sim.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'http-mitm-proxy', message: 'Only src/proxy/mitm-library.ts imports it.' },
          ],
        },
      ],
    },
  },
  {
    // Only mitm-library.ts may touch http-mitm-proxy (its internals too: the adapter and the rest
    // of the product reach the library only through mitm-library.ts's interface).
    files: ['src/**/*.ts'],
    ignores: [
      'src/proxy/mitm-library.ts',
      'src/cli/commands/demo.ts',
      'src/cli/commands/sim.ts',
      ...PURE,
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'http-mitm-proxy',
              message: 'Only src/proxy/mitm-library.ts imports http-mitm-proxy.',
            },
          ],
          patterns: [
            ...TOOLING,
            {
              group: ['http-mitm-proxy/*'],
              message: 'Only src/proxy/mitm-library.ts reaches into http-mitm-proxy.',
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
          patterns: TOOLING,
        },
      ],
    },
  },
);
