# syntax=docker/dockerfile:1
# CPU worker: `worker run` on @tensorflow/tfjs-node (libtensorflow 2.9.1 on the CPU), for
# machines without an NVIDIA GPU. The image also carries the project's oneDNN kernels
# (Debian's libdnnl): `TFJS_BACKEND=cpu` trains on them instead, with no libtensorflow at all.
# Build from the repository root:
#   docker build -f infra/docker/worker-cpu.Dockerfile -t denoise-sweep/worker-cpu .
ARG NODE_IMAGE=node:20.20-bookworm-slim

FROM ${NODE_IMAGE} AS node

# 1. Compile the TypeScript and the oneDNN addon once (dev dependencies and the compiler live
#    only in this stage). Here the addon must build: the script's soft failure is for laptops.
FROM node AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 make g++ libdnnl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY packages/shared/package.json packages/shared/
COPY packages/tfjs-cpu-kernels/package.json packages/tfjs-cpu-kernels/
COPY packages/worker/package.json packages/worker/
COPY packages/orchestrator/package.json packages/orchestrator/
COPY test/package.json test/
RUN npm ci --ignore-scripts --omit=optional --no-audit --no-fund
COPY packages packages
RUN npx tsc -b \
 && npm run build:native -w @denoise-sweep/tfjs-cpu-kernels \
 && test -f packages/tfjs-cpu-kernels/native/build/Release/dnnl_kernels.node

# 2. Production dependencies with the native binding installed once, at build time: scripts are
#    off for the whole tree, then only tfjs-node's install script runs (it downloads
#    libtensorflow 2.9.1 and its N-API binding, building the binding with node-gyp if no
#    prebuilt one fits). The GPU packages are dropped (tfjs-node-gpu, and webgpu: Dawn, 132 MB).
FROM node AS deps
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/shared/package.json packages/shared/
COPY packages/tfjs-cpu-kernels/package.json packages/tfjs-cpu-kernels/
COPY packages/worker/package.json packages/worker/
COPY packages/orchestrator/package.json packages/orchestrator/
COPY test/package.json test/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm rebuild @tensorflow/tfjs-node --foreground-scripts \
 && rm -rf node_modules/@tensorflow/tfjs-node-gpu node_modules/webgpu \
 && ls node_modules/@tensorflow/tfjs-node/lib/napi-v*/tfjs_binding.node node_modules/@tensorflow/tfjs-node/deps/lib/libtensorflow*

# 3. The image: Node + production node_modules + compiled code, tini as PID 1, a non-root user.
FROM node AS worker-cpu
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tini ca-certificates libdnnl2 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 denoise \
 && useradd --system --uid 10001 --gid denoise --create-home --home-dir /home/denoise denoise \
 && mkdir -p /var/cache/denoise-sweep && chown denoise:denoise /var/cache/denoise-sweep
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=deps /app/package.json ./
COPY --from=build /src/packages/shared/package.json packages/shared/
COPY --from=build /src/packages/shared/dist packages/shared/dist
COPY --from=build /src/packages/tfjs-cpu-kernels/package.json packages/tfjs-cpu-kernels/
COPY --from=build /src/packages/tfjs-cpu-kernels/dist packages/tfjs-cpu-kernels/dist
COPY --from=build /src/packages/tfjs-cpu-kernels/native/build/Release/dnnl_kernels.node packages/tfjs-cpu-kernels/native/build/Release/
COPY --from=build /src/packages/worker/package.json packages/worker/
COPY --from=build /src/packages/worker/dist packages/worker/dist
ENV NODE_ENV=production \
    TFJS_BACKEND=tensorflow \
    DENOISE_SWEEP_CACHE_DIR=/var/cache/denoise-sweep \
    METRICS_PORT=9464
USER denoise
EXPOSE 9464
# SIGTERM: running trials finish their batch (about 10 s on a CPU), checkpoint and go back to
# the queue; give the container 120 s (compose stop_grace_period, k8s terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/packages/worker/dist/bin.js"]
CMD ["run", "--concurrency", "1"]
