# syntax=docker/dockerfile:1
# Orchestrator: `orchestrator sweep FILE --detach` (publishes Fashion-MNIST to the store and
# enqueues the trials), `serve` (the Prometheus exporter, port 9465), `status`, `results`,
# `report`, `cancel`. Fashion-MNIST comes from Debian's dataset-fashion-mnist package, at the
# path the orchestrator reads by default (/usr/share/datasets/fashion-mnist).
# Build from the repository root:
#   docker build -f infra/docker/orchestrator.Dockerfile -t denoise-sweep/orchestrator .
ARG NODE_IMAGE=node:20.20-bookworm-slim

FROM ${NODE_IMAGE} AS node

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

# 2. Production dependencies: no native TensorFlow here (the orchestrator never trains).
FROM node AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/shared/package.json packages/shared/
COPY packages/tfjs-cpu-kernels/package.json packages/tfjs-cpu-kernels/
COPY packages/worker/package.json packages/worker/
COPY packages/orchestrator/package.json packages/orchestrator/
COPY test/package.json test/
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund

# 3. The image.
FROM node AS orchestrator
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tini ca-certificates dataset-fashion-mnist \
 && rm -rf /var/lib/apt/lists/* \
 && test -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz \
 && groupadd --system --gid 10001 denoise \
 && useradd --system --uid 10001 --gid denoise --create-home --home-dir /home/denoise denoise
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=deps /app/package.json ./
COPY --from=build /src/packages/shared/package.json packages/shared/
COPY --from=build /src/packages/shared/dist packages/shared/dist
COPY --from=build /src/packages/orchestrator/package.json packages/orchestrator/
COPY --from=build /src/packages/orchestrator/dist packages/orchestrator/dist
ENV NODE_ENV=production
USER denoise
EXPOSE 9465
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/packages/orchestrator/dist/bin.js"]
CMD ["serve", "--port", "9465", "--host", "0.0.0.0"]
