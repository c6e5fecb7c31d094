# syntax=docker/dockerfile:1
# GPU worker: `worker run` on @tensorflow/tfjs-node-gpu 4.22 (libtensorflow 2.9.1), which needs
# CUDA 11.2 and cuDNN 8.1 (copied from NVIDIA's CUDA image below), or, where libtensorflow does
# not load or has no kernels for the GPU, on the webgpu engine (Dawn over Vulkan: the Vulkan
# loader and glvnd are installed here, NVIDIA's Vulkan driver comes with the host's driver when
# the container is given the `graphics` capability, set below). TFJS_BACKEND=gpu tries them in
# that order and never trains on the CPU. The host needs an NVIDIA driver >= 450 and the NVIDIA
# Container Toolkit.
# Build from the repository root:
#   docker build -f infra/docker/worker-gpu.Dockerfile -t denoise-sweep/worker-gpu .
ARG NODE_IMAGE=node:20.20-bookworm-slim
ARG CUDA_IMAGE=nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04

FROM ${NODE_IMAGE} AS node
# Only CUDA 11.2's and cuDNN 8's runtime libraries are taken from this image: its Ubuntu 20.04
# (glibc 2.31) is too old for Dawn's binary (glibc 2.34), so the runtime is Debian 12.
FROM ${CUDA_IMAGE} AS cuda

# 1. Compile the TypeScript once (dev dependencies live only in this stage).
FROM node AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY packages/shared/package.json packages/shared/
COPY packages/tfjs-cpu-kernels/package.json packages/tfjs-cpu-kernels/
COPY packages/worker/package.json packages/worker/
COPY packages/orchestrator/package.json packages/orchestrator/
COPY test/package.json test/
RUN npm ci --ignore-scripts --omit=optional --no-audit --no-fund
COPY packages packages
RUN npx tsc -b

# 2. The runtime base: the Node image (Debian 12) with CUDA 11.2 + cuDNN 8 from the CUDA image,
#    the Vulkan loader and glvnd (NVIDIA's Vulkan driver is libGLX_nvidia, which the toolkit
#    mounts with the `graphics` capability), tini as PID 1, a non-root user.
FROM ${NODE_IMAGE} AS base
COPY --from=cuda /usr/local/cuda-11.2/targets/x86_64-linux/lib/ /usr/local/cuda/lib64/
COPY --from=cuda /usr/lib/x86_64-linux-gnu/libcudnn*.so.8* /usr/local/cuda/lib64/
ENV LD_LIBRARY_PATH=/usr/local/cuda/lib64 \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tini ca-certificates util-linux \
    libvulkan1 libglvnd0 libglx0 libegl1 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 denoise \
 && useradd --system --uid 10001 --gid denoise --create-home --home-dir /home/denoise denoise \
 && mkdir -p /var/cache/denoise-sweep /var/lock/denoise-sweep-gpus \
 && chown denoise:denoise /var/cache/denoise-sweep /var/lock/denoise-sweep-gpus

# 3. Production dependencies, with the native binding installed once, here, on the same
#    Ubuntu/glibc as the runtime: scripts are off for the whole tree, then only tfjs-node-gpu's
#    install script runs (it downloads libtensorflow-gpu 2.9.1 and its N-API binding, building
#    the binding with node-gyp if no prebuilt one fits). The CPU-only tfjs-node is dropped, and
#    the webgpu package keeps only its linux-x64 Dawn binary.
FROM base AS deps
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/shared/package.json packages/shared/
COPY packages/tfjs-cpu-kernels/package.json packages/tfjs-cpu-kernels/
COPY packages/worker/package.json packages/worker/
COPY packages/orchestrator/package.json packages/orchestrator/
COPY test/package.json test/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm rebuild @tensorflow/tfjs-node-gpu --foreground-scripts \
 && rm -rf node_modules/@tensorflow/tfjs-node \
 && find node_modules/webgpu/dist -mindepth 1 -maxdepth 1 ! -name linux-x64 -exec rm -rf {} + \
 && ls node_modules/@tensorflow/tfjs-node-gpu/lib/napi-v*/tfjs_binding.node node_modules/@tensorflow/tfjs-node-gpu/deps/lib/libtensorflow* \
 && ls node_modules/webgpu/dist/linux-x64/dawn.node

# 4. The image: runtime base + production node_modules + compiled code, nothing else.
FROM base AS worker-gpu
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=deps /app/package.json ./
COPY --from=build /src/packages/shared/package.json packages/shared/
COPY --from=build /src/packages/shared/dist packages/shared/dist
COPY --from=build /src/packages/tfjs-cpu-kernels/package.json packages/tfjs-cpu-kernels/
COPY --from=build /src/packages/tfjs-cpu-kernels/dist packages/tfjs-cpu-kernels/dist
COPY --from=build /src/packages/worker/package.json packages/worker/
COPY --from=build /src/packages/worker/dist packages/worker/dist
COPY infra/docker/gpu-entrypoint.sh /usr/local/bin/gpu-entrypoint.sh
# TFJS_BACKEND=gpu: libtensorflow on CUDA, else WebGPU on the GPU; a worker that cannot reach
# its GPU either way fails at its first trial instead of training 100x slower on the CPU.
# Override with TFJS_BACKEND=auto (the CPU too) or tensorflow-gpu / webgpu (one engine only).
ENV NODE_ENV=production \
    TFJS_BACKEND=gpu \
    DENOISE_SWEEP_CACHE_DIR=/var/cache/denoise-sweep \
    METRICS_PORT=9464
USER denoise
EXPOSE 9464
# SIGTERM: running trials finish their batch, checkpoint and go back to the queue. Give the
# container time for that: docker compose `stop_grace_period: 120s`, Kubernetes
# `terminationGracePeriodSeconds: 120` (a Dockerfile cannot set the grace period itself).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/gpu-entrypoint.sh", "node", "/app/packages/worker/dist/bin.js"]
CMD ["run", "--concurrency", "1"]
