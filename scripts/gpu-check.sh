#!/bin/sh
# Trains the default net on the webgpu engine on this machine's GPU, beside the cpu engine, and
# prints the adapter, images/s of each and the loss difference. Needs no internet and nothing
# installed but a Linux x86-64 kernel, the GPU's driver and python3 or xz: everything else comes
# from .gpu-check/ (made by scripts/gpu-check-prepare.sh on a machine with the npm registry and
# Debian's archive) next to this repository. Arguments go to the benchmark
# (bench/webgpu-bench.ts: --steps 20 --batch 256 by default). Where $OUT is set, the result's
# JSON is written to $OUT/gpu-check.json.
#
#   sh scripts/gpu-check.sh [--steps 20] [--batch 256]
set -eu
cd "$(dirname "$0")/.."
kit="$PWD/.gpu-check"
[ -d "$kit/app" ] || { echo "gpu-check: $kit is missing: run scripts/gpu-check-prepare.sh where the npm registry is reachable, then copy it here" >&2; exit 2; }
work="${DENOISE_SWEEP_GPU_CHECK_DIR:-${TMPDIR:-/tmp}/denoise-sweep-gpu-check}"
rm -rf "$work"
mkdir -p "$work/root" "$work/node_modules/webgpu/dist/linux-x64"

unxz_to() {
  if command -v xz >/dev/null 2>&1; then xz -dc "$1" > "$2"
  else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi
}

# Node: the machine's own if it is 20 or newer and the kit brings none, else the kit's.
if [ -f "$kit/node.xz" ]; then
  unxz_to "$kit/node.xz" "$work/node" && chmod +x "$work/node"
  node="$work/node"
else
  node=$(command -v node) || { echo "gpu-check: no node here and none in the kit: run gpu-check-prepare.sh without --without-node" >&2; exit 2; }
fi

# The program, Dawn, the oneDNN addon (found at ../native from app/).
cp -r "$kit/app" "$kit/native" "$work/"
cp "$kit/node_modules/webgpu/"* "$work/node_modules/webgpu/"
unxz_to "$kit/dawn.node.xz" "$work/node_modules/webgpu/dist/linux-x64/dawn.node"

# Libraries: Debian's Vulkan loader, glvnd (NVIDIA's Vulkan driver is libGLX_nvidia, which
# needs libGLdispatch), OpenMP, OpenCL's loader and oneDNN, unpacked under $work/root only.
for deb in "$kit"/debs/*.deb; do dpkg-deb -x "$deb" "$work/root" 2>/dev/null || (cd "$work/root" && ar p "$deb" data.tar.xz | tar xJ); done
libs="$work/root/usr/lib/x86_64-linux-gnu:$work/root/lib/x86_64-linux-gnu"
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu/nvidia; do [ -d "$d" ] && libs="$libs:$d"; done
export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# NVIDIA's Vulkan driver manifest, where the loader does not look by itself.
if [ -z "${VK_DRIVER_FILES:-}" ] && ! ls /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json >/dev/null 2>&1; then
  for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/local/share/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/icd.d/nvidia_icd.json; do
    if [ -f "$f" ]; then export VK_DRIVER_FILES="$f" VK_ICD_FILENAMES="$f"; break; fi
  done
fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$work}"

echo "gpu-check: node $("$node" --version), Vulkan driver manifest ${VK_DRIVER_FILES:-from the loader's own search}"
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/gpu-check: nvidia-smi: /'
"$node" "$work/app/webgpu-bench.js" "$@" 2>&1 | grep -v 'artificially reduced' | tee "$work/output.txt"
if [ -n "${OUT:-}" ]; then tail -n 1 "$work/output.txt" > "$OUT/gpu-check.json"; fi
tail -n 1 "$work/output.txt" | grep -q '"webgpu":{' || { echo "gpu-check: the webgpu engine did not train (see above)" >&2; exit 1; }
