import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The product's tests, and the local cloud's own (its package, local-cloud/).
    include: ['tests/**/*.test.ts', 'local-cloud/tests/**/*.test.ts'],
    // The JSON results let .ci/run close with a plain "N passed, N failed" line.
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest/results.json' },
    testTimeout: 30_000,
    // Handlers build their Powertools utilities and SDK clients at import: quiet, offline, no tracing.
    env: {
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_DEV: 'false',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      // The SDK's notice that its 2027 releases need Node 22 (the SDK's own opt-out): nothing a test
      // run can act on. The deployed functions run nodejs22.x and never set it (docs/decisions/node-version.md).
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    coverage: {
      provider: 'v8',
      include: ['functions/domain/**/*.ts'],
      reporter: ['text-summary', 'text'],
      thresholds: { lines: 95, branches: 95, functions: 95, statements: 95 },
    },
  },
});
