"""Training-step throughput of the project's denoising autoencoder in PyTorch (CPU).

The same net as packages/worker/src/model.ts and bench/kernels-net.ts: per level conv3x3
(relu, same) + maxpool 2 (same, i.e. ceil_mode), mirrored conv3x3 (relu) + nearest upsample 2,
a centred crop back to 28x28 (32 -> 28 at [32, 64, 128]; as there, an even crop is taken
before the last upsampling, at half the size) before the last conv3x3 to one channel with
sigmoid; Adam lr 1e-3, MSE. Random data: only the speed is measured.

    /usr/bin/python3 bench/torch_autoencoder.py [--threads 1,2] [--batch 256] [--warmup 3] [--steps 10]

Prints one line per thread count, then one JSON object as the last line.
"""
import argparse
import json
import math
import resource
import time

import torch
from torch import nn


class Autoencoder(nn.Module):
    def __init__(self, filters, image_size=28):
        super().__init__()
        layers = []
        channels = 1
        size = image_size
        for width in filters:
            layers += [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True)]
            channels = width
            size = math.ceil(size / 2)
        for width in reversed(filters):
            layers += [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2, mode='nearest')]
            channels = width
        excess = size * 2 ** len(filters) - image_size
        crop = (excess // 2, excess - excess // 2)
        self.early = excess > 0 and crop[0] % 2 == 0 and crop[1] % 2 == 0
        # The crop, before the last upsampling (halved) when even, else after it.
        self.crop = (crop[0] // 2, crop[1] // 2) if self.early else crop
        self.body = nn.Sequential(*(layers[:-1] if self.early else layers))
        self.last_upsample = layers[-1]
        self.head = nn.Conv2d(channels, 1, 3, padding=1)

    def forward(self, x):
        x = self.body(x)
        before, after = self.crop
        h, w = x.shape[2], x.shape[3]
        x = x[:, :, before:h - after, before:w - after]
        if self.early:
            x = self.last_upsample(x)
        return torch.sigmoid(self.head(x))


def measure(filters, batch, warmup, steps, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = Autoencoder(filters)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()
    clean = torch.rand(batch, 1, 28, 28)
    noisy = (clean + 0.5 * torch.randn_like(clean)).clamp(0, 1)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(noisy), clean)
        loss.backward()
        optimizer.step()
        return loss.item()

    for _ in range(warmup):
        step()
    step_ms = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        step_ms.append((time.perf_counter() - t0) * 1000)
    params = sum(p.numel() for p in model.parameters())
    return {
        'threads': threads,
        'images_per_sec': round(batch * steps / (sum(step_ms) / 1000), 2),
        'step_ms': [round(m, 1) for m in step_ms],
        'param_count': params,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--filters', default='32,64,128')
    parser.add_argument('--batch', type=int, default=256)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--threads', default='1,2')
    args = parser.parse_args()
    filters = [int(w) for w in args.filters.split(',')]
    runs = []
    for threads in [int(t) for t in args.threads.split(',')]:
        run = measure(filters, args.batch, args.warmup, args.steps, threads)
        print(f"pytorch {torch.__version__}, {threads} thread(s): {run['images_per_sec']} images/s "
              f"(batch {args.batch}, {args.steps} steps after {args.warmup} warm-up)", flush=True)
        runs.append(run)
    # ru_maxrss is in KiB on Linux.
    peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps({
        'torch_version': torch.__version__,
        'filters': filters,
        'batch': args.batch,
        'warmup': args.warmup,
        'steps': args.steps,
        'runs': runs,
        'peak_rss_mb': peak_rss_mb,
    }))


if __name__ == '__main__':
    main()
