// Lint: ESLint with typescript-eslint's type-checked rules (every .ts file is linted with the types of
// tsconfig.json), plus the layer rules of CONTRIBUTING.md: which folder may import which.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** One no-restricted-imports pattern: a module specifier (regex) and why it is not allowed here. */
const forbid = (regex, message) => ({ regex, message });

/** Product code (functions/, cli/) never reaches into the rehearsal, the benchmark or the tests. */
const PRODUCT_ONLY = forbid(
  '^(\\.\\./)+(local|bench|test|scripts)/',
  'Product code imports nothing from local/, bench/, test/ or scripts/.',
);

export default tseslint.config(
  { ignores: ['node_modules/', '.serverless/', '.esbuild/', 'coverage/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration in functions/runtime/config.ts only.' },
      ],
      // Floating promises lose errors; the few deliberate ones say `void`.
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  {
    // Configuration loading and the local tools may read the environment.
    files: ['functions/runtime/config.ts', 'cli/index.ts', 'local/**', 'scripts/**', 'bench/**', 'test/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // Layer: domain. Pure rules and decisions: imports only other domain modules and pure libraries.
    files: ['functions/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            forbid('^\\.\\./', 'The domain layer imports only functions/domain/ (it is pure: no AWS, no runtime, no I/O).'),
            forbid('^(@aws-sdk|@smithy|@middy|@aws-lambda-powertools)/', 'The domain layer imports no AWS SDK and no Lambda runtime.'),
            forbid(
              '^(node:)?(fs|fs/promises|http|https|net|child_process|process)$',
              'The domain layer does no I/O and reads no environment.',
            ),
          ],
        },
      ],
    },
  },
  {
    // Layer: AWS adapters. Clients, paged reads and the error table: domain types only, no runtime.
    files: ['functions/aws/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [forbid('^\\.\\./(?!domain/)', 'An AWS adapter imports only functions/domain/ and the SDK.'), PRODUCT_ONLY] },
      ],
    },
  },
  {
    // Lambda runtime and the shared workflow steps: no function folder, nothing local.
    files: ['functions/runtime/**/*.ts', 'functions/workflow/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            forbid('^\\.\\./(?!domain/|aws/|runtime/|workflow/)', 'runtime/ and workflow/ import no function folder.'),
            PRODUCT_ONLY,
          ],
        },
      ],
    },
  },
  {
    // A function's folder: its handler and core, over the layers; never another function's folder.
    files: ['functions/*/*.ts'],
    ignores: ['functions/{domain,aws,runtime,workflow}/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            forbid('^\\.\\./(?!domain/|aws/|runtime/|workflow/)', 'A function imports the layers, never another function folder.'),
            PRODUCT_ONLY,
          ],
        },
      ],
    },
  },
  {
    files: ['cli/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [PRODUCT_ONLY] }] },
  },
  {
    // Plain JavaScript (configs, scripts): no type information.
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['test/**'],
    rules: {
      'no-restricted-syntax': ['error', { selector: "CallExpression[callee.property.name='only']", message: 'no focused tests' }],
      // Tests read JSON (CLI output, templates, EMF lines) and assert on it with expect: typing every
      // shape would add casts, not safety. Product code keeps these rules.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // fakes of async AWS calls are async without awaiting anything
      '@typescript-eslint/require-await': 'off',
    },
  },
);
