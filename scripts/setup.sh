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

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "setup: build"
npm run --silent build
