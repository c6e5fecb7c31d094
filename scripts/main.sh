#!/usr/bin/env bash
# The main job: installs what it needs, then runs the example sweep (4 small trials) on this
# machine in local mode (its own Redis and workers, artifacts in .denoise-sweep/store) and prints the results.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx --no-install orchestrator sweep examples/sweep.yaml "$@"
