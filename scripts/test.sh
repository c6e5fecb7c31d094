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
# Where lavapipe (Mesa 23 or newer) is installed the webgpu engine must start on it: its tests
# then run instead of being skipped.
mesa_major=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | cut -d. -f1 || true)
if [ "${mesa_major:-0}" -ge 23 ] && [ "${DENOISE_SWEEP_WEBGPU_TESTS:-}" != "off" ]; then
  export DENOISE_SWEEP_EXPECT_WEBGPU=1
fi
echo "test: vitest"
node scripts/run-tests.mjs
