#!/usr/bin/env bash
# Installs what denoise-sweep needs on a Debian machine and builds it.
# Idempotent: skips what is already there. Run as root (or with sudo available).
# `setup.sh --for-tests` also installs what only the test suite uses (Prometheus, Chromium,
# docker-compose for offline validation).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v redis-server >/dev/null || need_apt+=(redis-server)
if [ "${1:-}" = "--for-tests" ]; then
  command -v prometheus >/dev/null || need_apt+=(prometheus)
  command -v chromium >/dev/null || need_apt+=(chromium)
  command -v docker-compose >/dev/null || need_apt+=(docker-compose)
fi
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || need_apt+=(dataset-fashion-mnist)
for extra in ${DENOISE_SWEEP_EXTRA_APT:-}; do need_apt+=("$extra"); done

# The native oneDNN kernels (CPU training about 20 to 40 times faster than the TypeScript ones) need oneDNN's headers and a C++
# toolchain. Optional: where they cannot be installed, the TypeScript kernels serve.
want_native=()
if [ "${DENOISE_SWEEP_NATIVE_KERNELS:-}" != "off" ] && [ "${DENOISE_SWEEP_NATIVE_KERNELS:-}" != "0" ]; then
  [ -f /usr/include/oneapi/dnnl/dnnl.hpp ] || want_native+=(libdnnl-dev)
  command -v g++ >/dev/null || want_native+=(g++)
  command -v make >/dev/null || want_native+=(make)
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ $((${#need_apt[@]} + ${#want_native[@]})) -gt 0 ]; then
  $SUDO apt-get update -qq
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
if [ ${#want_native[@]} -gt 0 ]; then
  echo "setup: installing Debian packages for the native kernels: ${want_native[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${want_native[@]}" >/dev/null \
    || echo "setup: could not install ${want_native[*]}; training will use the TypeScript kernels"
fi

# The webgpu engine's tests run on Mesa's lavapipe (a Vulkan driver on the CPU): Dawn needs
# Mesa 23 or newer, which Debian 12 has only in its own bookworm-backports suite, so that
# suite is added for these two packages. GPU machines need only libvulkan1 and the NVIDIA
# driver (see docs/gpu.md).
mesa_major=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | cut -d. -f1 || true)
if [ "${1:-}" = "--for-tests" ] && [ "${DENOISE_SWEEP_WEBGPU_TESTS:-}" != "off" ] && [ "${mesa_major:-0}" -lt 23 ]; then
  vulkan_suite=()
  if grep -q '^VERSION_CODENAME=bookworm' /etc/os-release 2>/dev/null; then
    list=/etc/apt/sources.list.d/denoise-sweep-bookworm-backports.list
    grep -rqs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ \
      || echo 'deb http://deb.debian.org/debian bookworm-backports main' | $SUDO tee "$list" >/dev/null
    $SUDO apt-get update -qq
    vulkan_suite=(-t bookworm-backports)
  fi
  echo "setup: installing the Vulkan loader and Mesa's lavapipe for the webgpu tests"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${vulkan_suite[@]}" libvulkan1 mesa-vulkan-drivers >/dev/null \
    || echo "setup: could not install lavapipe; the webgpu engine's tests will be skipped"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "setup: build"
npm run --silent build
