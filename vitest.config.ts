import { defineConfig } from 'vitest/config';

// Cross-package imports resolve to each package's dist/, so `npm run build` runs first
// (the README's test command does). Timings are never asserted here: speed lives in `npm run bench`.
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
