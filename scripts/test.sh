#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, lints, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --for-tests
echo "test: typecheck tests and lint"
npx tsc -p tsconfig.test.json
npx eslint . --max-warnings=0
# Unused files, exports and dependencies (knip.json).
npx knip
# Where oneDNN is installed the native tier must build and load: its tests then run instead
# of being skipped.
if [ -f /usr/include/oneapi/dnnl/dnnl.hpp ] && [ "${DENOISE_SWEEP_NATIVE_KERNELS:-}" != "off" ]; then
  export DENOISE_SWEEP_EXPECT_NATIVE=1
fi
echo "test: vitest"
node scripts/run-tests.mjs
