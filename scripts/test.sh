#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, lints, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --for-tests
echo "test: typecheck tests and lint"
npx tsc -p tsconfig.test.json
npx eslint . --max-warnings=0
echo "test: vitest"
node scripts/run-tests.mjs
