#!/bin/sh
# Gives each GPU worker container on a host a GPU of its own.
#
# `docker compose up --scale worker=N` cannot give replicas different device_ids
# (docker/compose#11863: every replica with `count: 1` gets the same first GPU). So the compose
# worker service reserves all GPUs and this script claims one: it takes the first free lock
# among /var/lock/denoise-sweep-gpus/gpu<i> (a volume shared by the replicas of one host) and
# keeps it for the life of the process (the lock is on a file descriptor exec passes on), then
# sets CUDA_VISIBLE_DEVICES to that GPU. Where the runtime already gives one GPU (Kubernetes with
# nvidia.com/gpu: 1 exposes a single /dev/nvidiaN) or CUDA_VISIBLE_DEVICES is set, it does nothing.
set -eu
locks=/var/lock/denoise-sweep-gpus
if [ -z "${CUDA_VISIBLE_DEVICES:-}" ] && [ -d "$locks" ] && [ -w "$locks" ]; then
  count=$(ls /dev/nvidia[0-9]* 2>/dev/null | wc -l)
  if [ "$count" -gt 1 ]; then
    i=0
    while [ "$i" -lt "$count" ]; do
      exec 9>"$locks/gpu$i"
      if flock -n 9; then
        export CUDA_VISIBLE_DEVICES="$i"
        echo "gpu-entrypoint: this worker uses GPU $i of $count" >&2
        exec "$@"
      fi
      exec 9>&-
      i=$((i + 1))
    done
    echo "gpu-entrypoint: all $count GPUs of this host are taken by other workers; not starting a worker without a GPU" >&2
    exit 1
  fi
fi
exec "$@"
