/**
 * The webgpu engine on whatever adapter Dawn finds. In CI that is Mesa's lavapipe (a CPU
 * emulation; scripts/setup.sh --for-tests installs it and scripts/test.sh then sets
 * DENOISE_SWEEP_EXPECT_WEBGPU=1, so that these tests run instead of being skipped).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FileObjectStore } from '@denoise-sweep/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectEngine } from './backend.js';
import { CheckpointStore } from './checkpoint-store.js';
import type { EpochLoopOutcome } from './epoch-loop.js';
import { trainEpochs } from './epoch-loop.js';
import type { FashionMnist } from './fashion-mnist.js';
import { DEBIAN_FASHION_MNIST_DIR, loadFashionMnist } from './fashion-mnist.js';
import { buildAutoencoder } from './model.js';
import { ResumableAdam } from './resumable-adam.js';
import { TINY_TRIAL } from './testing/tiny-trial.js';
import type { GpuAdapter } from './webgpu-engine.js';
import { activateWebGpu, describeAdapter, gpuDeviceNodes, isSoftwareAdapter, listVulkanDrivers, probeWebGpu, releaseWebGpu } from './webgpu-engine.js';

const probe: { adapter?: GpuAdapter; error?: string } = await probeWebGpu().then(
  (adapter) => ({ adapter }),
  (err: Error) => ({ error: err.message }),
);

describe('isSoftwareAdapter', () => {
  it('tells CPU emulations from GPUs by what Dawn reports', () => {
    const lavapipe = { vendor: 'mesa', architecture: 'software', device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1' };
    expect(isSoftwareAdapter(lavapipe)).toBe(true);
    expect(isSoftwareAdapter({ ...lavapipe, architecture: '' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'google', architecture: '', device: 'swiftshader', description: 'SwiftShader Device (Subzero)' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200' })).toBe(false);
    expect(isSoftwareAdapter({ vendor: 'amd', architecture: 'rdna-3', device: '', description: 'AMD Radeon RX 7900 XTX (RADV NAVI31)' })).toBe(false);
    expect(describeAdapter({ ...lavapipe, software: true })).toMatch(/llvmpipe.*software emulation/);
  });
});

describe('listVulkanDrivers', () => {
  it('reads the manifests the Vulkan loader would, and tells lavapipe from a GPU driver', () => {
    const dir = mkdtempSync(join(tmpdir(), 'icd-'));
    try {
      const manifest = (path: string, library: string) => {
        mkdirSync(join(path, '..'), { recursive: true });
        writeFileSync(path, JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: library, api_version: '1.3.0' } }));
      };
      manifest(join(dir, 'share/vulkan/icd.d/lvp_icd.x86_64.json'), 'libvulkan_lvp.so');
      manifest(join(dir, 'etc/vulkan/icd.d/nvidia_icd.json'), 'libGLX_nvidia.so.0');
      writeFileSync(join(dir, 'share/vulkan/icd.d/broken.json'), '{ not json');
      manifest(join(dir, 'extra.json'), '/opt/swiftshader/libvk_swiftshader.so');
      const searched = { HOME: join(dir, 'home'), XDG_CONFIG_DIRS: join(dir, 'etc'), XDG_DATA_DIRS: join(dir, 'share') };
      // (/etc/vulkan/icd.d is always searched: only this test's manifests are compared.)
      expect(listVulkanDrivers(searched).filter((d) => d.manifest.startsWith(dir)).map((d) => [d.library, d.software])).toEqual([
        ['libGLX_nvidia.so.0', false],
        ['libvulkan_lvp.so', true],
      ]);
      // VK_DRIVER_FILES replaces the search; VK_ADD_DRIVER_FILES adds to it.
      expect(listVulkanDrivers({ ...searched, VK_DRIVER_FILES: join(dir, 'share/vulkan/icd.d'), VK_ADD_DRIVER_FILES: join(dir, 'extra.json') })
        .map((d) => [d.library, d.software])).toEqual([['libvulkan_lvp.so', true], ['/opt/swiftshader/libvk_swiftshader.so', true]]);
      expect(listVulkanDrivers({ VK_ICD_FILENAMES: join(dir, 'missing.json') })).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('gpuDeviceNodes', () => {
  it('lists NVIDIA device nodes and DRM render nodes, nothing else', () => {
    const dev = mkdtempSync(join(tmpdir(), 'dev-'));
    try {
      expect(gpuDeviceNodes(dev)).toEqual([]);
      mkdirSync(join(dev, 'dri'));
      for (const name of ['nvidia0', 'nvidia1', 'nvidiactl', 'nvidia-uvm', 'dri/renderD128', 'dri/card0']) writeFileSync(join(dev, name), '');
      expect(gpuDeviceNodes(dev)).toEqual(['nvidia0', 'nvidia1', 'dri/renderD128'].map((n) => join(dev, n)));
    } finally {
      rmSync(dev, { recursive: true, force: true });
    }
  });
});

describe('a WebGPU adapter', () => {
  it('is found where the tests expect one (DENOISE_SWEEP_EXPECT_WEBGPU=1: lavapipe installed)', (ctx) => {
    if (process.env.DENOISE_SWEEP_EXPECT_WEBGPU !== '1') ctx.skip();
    expect(probe.error).toBeUndefined();
    expect(probe.adapter?.description).toBeTruthy();
  });
});

const PIXELS = 28 * 28;

describe.runIf(probe.adapter !== undefined)('the webgpu engine', () => {
  const root = mkdtempSync(join(tmpdir(), 'webgpu-'));
  let data: FashionMnist;
  beforeAll(async () => {
    data = await loadFashionMnist({ dir: DEBIAN_FASHION_MNIST_DIR, trainLimit: TINY_TRIAL.dataset.train_limit, testLimit: TINY_TRIAL.dataset.test_limit });
  });
  afterAll(() => {
    releaseWebGpu();
    rmSync(root, { recursive: true, force: true });
  });

  it('is passed over on a software adapter unless forced, and then names it', async () => {
    if (probe.adapter!.software) {
      // Without a GPU device or a driver for one, auto does not even load Dawn...
      const hardware = listVulkanDrivers().some((d) => !d.software);
      if (!hardware || gpuDeviceNodes().length === 0) {
        const auto = await selectEngine('auto');
        expect(auto.engine).not.toBe('webgpu');
        expect(auto.skipped.join('; ')).toMatch(hardware ? /webgpu: no GPU device \(/ : /webgpu: no Vulkan driver for a GPU \(only [^)]*lvp/);
      }
      // ...and an adapter that turns out to be one is refused unless forced.
      await expect(activateWebGpu({ allowSoftware: false })).rejects.toThrow(/^only a software adapter: .*software emulation/);
    }
    const forced = await selectEngine('webgpu');
    expect(forced).toMatchObject({ engine: 'webgpu', backend: 'webgpu', kernels: probe.adapter!.software ? 'webgpu-software' : 'webgpu' });
    expect(forced.adapter?.description).toBe(probe.adapter!.description);
  });

  /** `steps` Adam steps of the default net at batch `batch` on real images; the first step's gradients too. */
  async function defaultNetSteps(engine: 'cpu' | 'webgpu', batch: number, steps: number) {
    await selectEngine(engine);
    const model = buildAutoencoder({ filters: [32, 64, 128], seed: 3 });
    const named = model.trainableWeights.map((w) => ({ name: w.originalName, variable: w.read() as tf.Variable }));
    const adam = new ResumableAdam(named, { learningRate: 0.001 });
    const losses: number[] = [];
    let firstGrads: Float32Array[] = [];
    for (let s = 0; s < steps; s++) {
      const y = tf.tensor4d(data.train.images.subarray(s * batch * PIXELS, (s + 1) * batch * PIXELS), [batch, 28, 28, 1]);
      const x = tf.tidy(() => tf.clipByValue(tf.add(y, tf.randomNormal(y.shape, 0, 0.5, 'float32', 40 + s)), 0, 1));
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.squaredDifference(model.apply(x, { training: true }) as tf.Tensor, y)) as tf.Scalar, named.map((n) => n.variable));
      if (s === 0) firstGrads = await Promise.all(named.map(async (n) => Float32Array.from(await grads[n.variable.name]!.data())));
      adam.applyGradients(grads);
      losses.push((await value.data())[0]!);
      tf.dispose([x, y, value, ...Object.values(grads)]);
    }
    const weights = await Promise.all(named.map(async (n) => Float32Array.from(await n.variable.data())));
    adam.dispose();
    model.dispose();
    return { losses, firstGrads, weights };
  }

  const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

  it('trains the default net as the cpu engine does, within float tolerance', async () => {
    const cpu = await defaultNetSteps('cpu', 16, 3);
    const gpu = await defaultNetSteps('webgpu', 16, 3);
    expect(tf.getBackend()).toBe('webgpu');
    for (let s = 0; s < 3; s++) expect(Math.abs(gpu.losses[s]! - cpu.losses[s]!)).toBeLessThan(1e-6 * cpu.losses[s]! + 1e-9);
    // Gradients, layer by layer, relative to the layer's largest (the cpu engine's kernels
    // are the corrected ones, so the first layer is compared too).
    cpu.firstGrads.forEach((g, i) => {
      expect(maxAbs(g)).toBeGreaterThan(0);
      expect(maxDiff(gpu.firstGrads[i]!, g) / maxAbs(g)).toBeLessThan(1e-4);
    });
    // Adam divides by sqrt(v): where a gradient is near zero its sign can differ, so the
    // weights after 3 steps of 0.001 agree to a fraction of a step, not to float precision.
    cpu.weights.forEach((w, i) => expect(maxDiff(gpu.weights[i]!, w)).toBeLessThan(1e-3));
  });

  it('runs the epoch loop with no synchronous GPU read: training, evaluation, checkpoints, samples', async () => {
    await selectEngine('cpu');
    const onCpu = await trainEpochs({ trial: TINY_TRIAL, data, checkpoints: new CheckpointStore(new FileObjectStore(join(root, 'cpu')), 'checkpoints') });
    await selectEngine('webgpu');
    // A read of data that lives on the GPU is one that would go through OffscreenCanvas.
    const backend = tf.backend() as unknown as { readSync(dataId: object): unknown; tensorMap: { get(dataId: object): { values: unknown } | undefined } };
    const readSync = backend.readSync.bind(backend);
    const gpuReads: string[] = [];
    backend.readSync = (dataId) => {
      if (backend.tensorMap.get(dataId)?.values == null) gpuReads.push(new Error().stack ?? '');
      return readSync(dataId);
    };
    let onGpu: EpochLoopOutcome;
    try {
      const checkpoints = new CheckpointStore(new FileObjectStore(join(root, 'gpu')), 'checkpoints');
      onGpu = await trainEpochs({ trial: TINY_TRIAL, data, checkpoints });
      expect(await checkpoints.names()).toContain('epoch-0003');
      expect(gpuReads).toEqual([]);
      // The watch sees such a read, which fails in Node (no OffscreenCanvas).
      const onDevice = tf.tidy(() => tf.square(tf.add(tf.ones([64, 64]), 1)));
      expect(() => onDevice.dataSync()).toThrow();
      onDevice.dispose();
      expect(gpuReads).toHaveLength(1);
    } finally {
      backend.readSync = readSync;
    }
    expect(onGpu.status).toBe('completed');
    expectClose(onGpu, onCpu);
  });

  it('resumes a checkpoint of the cpu engine and ends where the cpu engine does', async () => {
    await selectEngine('cpu');
    const straight = await trainEpochs({ trial: TINY_TRIAL, data });
    const checkpoints = new CheckpointStore(new FileObjectStore(join(root, 'across')), 'checkpoints');
    const stop = new AbortController();
    const first = await trainEpochs({ trial: TINY_TRIAL, data, checkpoints, onBatch: (p) => void (p.batch === p.batches && stop.abort('cancel')), signal: stop.signal });
    expect(first).toMatchObject({ status: 'stopped', epochsDone: 1 });
    await selectEngine('webgpu');
    const resumed = await trainEpochs({ trial: TINY_TRIAL, data, checkpoints });
    expect(resumed).toMatchObject({ status: 'completed', epochsDone: 3, resumedFrom: 'epoch-0001' });
    expectClose(resumed, straight);
  });

  it('resumes its own checkpoint exactly: 3 epochs straight = 1 epoch, stop, resume for 2 more', async () => {
    await selectEngine('webgpu');
    const run = async (name: string, stopAfterFirst: boolean) => {
      const objects = new FileObjectStore(join(root, name));
      const checkpoints = new CheckpointStore(objects, 'checkpoints');
      if (stopAfterFirst) {
        const stop = new AbortController();
        await trainEpochs({ trial: TINY_TRIAL, data, checkpoints, onBatch: (p) => void (p.batch === p.batches && stop.abort('cancel')), signal: stop.signal });
      }
      const outcome = await trainEpochs({ trial: TINY_TRIAL, data, checkpoints });
      const { files } = await checkpoints.load('epoch-0003');
      return { outcome, weights: Buffer.from(files['weights.bin']!), optimizer: Buffer.from(files['optimizer.bin']!) };
    };
    const straight = await run('own-straight', false);
    const resumed = await run('own-resumed', true);
    expect(resumed.outcome.resumedFrom).toBe('epoch-0001');
    expect(resumed.weights.equals(straight.weights)).toBe(true);
    expect(resumed.optimizer.equals(straight.optimizer)).toBe(true);
    expect(resumed.outcome.history.map((h) => h.val_loss)).toEqual(straight.outcome.history.map((h) => h.val_loss));
  });

  function expectClose(a: EpochLoopOutcome, b: EpochLoopOutcome): void {
    expect(a.history).toHaveLength(b.history.length);
    a.history.forEach((r, i) => {
      const s = b.history[i]!;
      expect(Math.abs(r.train_loss - s.train_loss)).toBeLessThan(1e-4 * s.train_loss);
      expect(Math.abs(r.val_loss - s.val_loss)).toBeLessThan(1e-4 * s.val_loss);
      expect(Math.abs(r.psnr - s.psnr)).toBeLessThan(1e-3);
      expect(Math.abs(r.ssim - s.ssim)).toBeLessThan(1e-3);
    });
    expect(maxDiff(a.samples!.denoised, b.samples!.denoised)).toBeLessThan(1e-3);
  }
});
