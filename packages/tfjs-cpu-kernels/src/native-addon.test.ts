import { execFileSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { ADDON_VARIANTS, DEFAULT_GOMP_SPINCOUNT, addonPathOf, chooseAddonVariant, loadNativeAddon, nativeKernelStatus } from './native-addon.js';
import { nativeKernelNames, nativeKernels } from './native-kernels.js';
import { measureFmaPeak, registerFastCpuKernels, unregisterFastCpuKernels } from './register.js';
import { TEST_TIERS } from './testing/compare.js';

const hasNative = TEST_TIERS.includes('native');

/** Runs a snippet in a fresh Node process (the addon loads once per process) and parses its JSON. */
function inFreshProcess(code: string, env: Record<string, string>): unknown {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: new URL('..', import.meta.url),
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

const DIST = new URL('../dist/index.js', import.meta.url).href;

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => {
  unregisterFastCpuKernels();
});

describe('the native addon', () => {
  it('is built where the tests expect it (DENOISE_SWEEP_EXPECT_NATIVE=1: libdnnl-dev installed)', () => {
    const status = nativeKernelStatus();
    if (process.env.DENOISE_SWEEP_EXPECT_NATIVE === '1') expect(status).toMatchObject({ available: true });
    // Either it loads and names its oneDNN, or it says why not.
    if (status.available) expect(status.onednn).toMatch(/^\d+\.\d+\.\d+$/);
    else expect(status.reason).toMatch(/not built|failed to load|turned off/);
  });

  it.runIf(hasNative)('shortens OpenMP\'s spin before it loads, unless the caller chose a wait policy or spin count', () => {
    const settings = (env: Record<string, string | undefined>) => {
      const childEnv = { ...process.env, ...env };
      for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
      const out = execFileSync(process.execPath, ['--input-type=module', '-e',
        `const m = await import(${JSON.stringify(DIST)}); m.nativeKernelStatus();
         console.log(JSON.stringify([process.env.OMP_WAIT_POLICY ?? null, process.env.GOMP_SPINCOUNT ?? null]));`], { env: childEnv, encoding: 'utf8' });
      return JSON.parse(out.trim().split('\n').pop()!) as unknown;
    };
    expect(settings({ OMP_WAIT_POLICY: undefined, GOMP_SPINCOUNT: undefined })).toEqual([null, DEFAULT_GOMP_SPINCOUNT]);
    expect(settings({ OMP_WAIT_POLICY: 'active', GOMP_SPINCOUNT: undefined })).toEqual(['active', null]);
    expect(settings({ OMP_WAIT_POLICY: undefined, GOMP_SPINCOUNT: '5' })).toEqual([null, '5']);
  });

  it.runIf(hasNative)('picks oneDNN JIT implementations for every convolution of the default net', () => {
    const { addon } = loadNativeAddon();
    for (const [size, inC, outC] of [[28, 1, 32], [14, 32, 64], [7, 64, 128], [4, 128, 128], [8, 128, 64], [16, 64, 32], [28, 32, 1]]) {
      const impl = addon!.convImplementations(Int32Array.of(256, size!, size!, inC!, size!, size!, outC!, 3, 3, 1, 1));
      for (const name of Object.values(impl)) expect(name, `${size} px ${inC} -> ${outC}`).not.toMatch(/^ref/);
    }
  });

  it.runIf(hasNative)('rejects arrays that do not fit the geometry instead of reading past them', () => {
    const { addon } = loadNativeAddon();
    const g = Int32Array.of(2, 4, 4, 3, 4, 4, 5, 3, 3, 1, 1);
    const x = new Float32Array(2 * 4 * 4 * 3);
    const w = new Float32Array(3 * 3 * 3 * 5);
    expect(() => addon!.convForward(x.subarray(1), w, null, new Float32Array(2 * 4 * 4 * 5), g, 0)).toThrow(/argument 0 holds 95 floats, needs 96/);
    expect(() => addon!.convForward(x, w, null, new Float32Array(3), g, 0)).toThrow(/argument 3/);
    expect(() => addon!.convForward(x, w, null, new Float32Array(10), Int32Array.of(2, 4, 4, 3, 1, 1, 5, 3, 3, 1, 1), 0)).toThrow(/inconsistent/);
    const box = (begin: number) => () => addon!.copyBox(x, Int32Array.of(2, 48), Int32Array.of(0, begin), new Float32Array(8), Int32Array.of(2, 4), Int32Array.of(0, 0), Int32Array.of(2, 4));
    expect(box(44)).not.toThrow();
    expect(box(45)).toThrow(/the box does not fit both shapes/);
    expect(() => addon!.resizeNearest(x, new Float32Array(96), Int32Array.of(0, 9), Int32Array.of(0, 1), Int32Array.of(2, 4, 4, 3, 2, 2))).toThrow(/index out of range/);
  });

  it.runIf(hasNative)('measures the FMA peak on the native tier\'s threads, twice the work on twice the threads', () => {
    expect(measureFmaPeak(0.05)).toBeUndefined(); // nothing registered yet
    registerFastCpuKernels({ native: 'required', threads: 1 });
    try {
      const one = measureFmaPeak(0.1)!;
      expect(one).toMatchObject({ threads: 1, isa: expect.stringMatching(/^avx(2|512)$/) });
      // At least 2 fp32 FMAs of 8 lanes a nanosecond at any clock a vector unit runs at.
      expect(one.gflops).toBeGreaterThan(16);
      registerFastCpuKernels({ native: 'required', threads: 2 });
      expect(measureFmaPeak(0.1)!.threads).toBe(2);
    } finally {
      unregisterFastCpuKernels();
    }
  });

  it('turned off by DENOISE_SWEEP_NATIVE_KERNELS=off: the TypeScript tier serves, and required says why', () => {
    const result = inFreshProcess(
      `const tf = await import('@tensorflow/tfjs'); await tf.setBackend('cpu');
       const m = await import(${JSON.stringify(DIST)});
       const names = m.registerFastCpuKernels();
       let error = null;
       try { m.registerFastCpuKernels({ native: 'required' }); } catch (e) { error = e.message; }
       console.log(JSON.stringify({ status: m.nativeKernelStatus(), tier: m.fastCpuKernelTier(), names: names.length, error }));`,
      { DENOISE_SWEEP_NATIVE_KERNELS: 'off' },
    );
    expect(result).toMatchObject({
      status: { available: false, reason: 'turned off by DENOISE_SWEEP_NATIVE_KERNELS' },
      tier: 'typescript',
      error: 'the native oneDNN kernels are not available: turned off by DENOISE_SWEEP_NATIVE_KERNELS',
    });
  });

  it.runIf(hasNative)('lists its kernels under the names it registers them', () => {
    expect(nativeKernels(loadNativeAddon().addon!).map((k) => k.kernelName)).toEqual(nativeKernelNames);
  });

  it('names the addon paths it looks for, and loads the widest build the CPU runs unless told which', () => {
    expect(addonPathOf('baseline')).toMatch(/native\/build\/Release\/dnnl_kernels\.node$/);
    expect(addonPathOf('avx512')).toMatch(/native\/build\/Release\/dnnl_kernels_avx512\.node$/);
    const built = ADDON_VARIANTS.filter((v) => existsSync(addonPathOf(v)));
    const avx512 = new Set(['avx512f', 'avx512bw', 'avx512vl', 'avx512dq', 'avx2', 'fma', 'sse2']);
    const avx2 = new Set(['avx2', 'fma', 'sse2']);
    expect(chooseAddonVariant({}, avx512)).toBe(built.includes('avx512') ? 'avx512' : built.includes('avx2') ? 'avx2' : 'baseline');
    expect(chooseAddonVariant({}, avx2)).toBe(built.includes('avx2') ? 'avx2' : 'baseline');
    expect(chooseAddonVariant({}, new Set(['sse2']))).toBe('baseline');
    expect(chooseAddonVariant({ DENOISE_SWEEP_NATIVE_ISA: 'baseline' }, avx512)).toBe('baseline');
    expect(() => chooseAddonVariant({ DENOISE_SWEEP_NATIVE_ISA: 'sse9' }, avx512)).toThrow(/DENOISE_SWEEP_NATIVE_ISA must be one of avx512, avx2, baseline, got 'sse9'/);
    if (hasNative) expect(built).toEqual(ADDON_VARIANTS); // built here: every variant, with the same compiler
  });

  it.runIf(hasNative)('every build of the addon trains the same bits: 3 steps of a small net on baseline, avx2 and avx512', () => {
    const step = (isa: string) => inFreshProcess(
      `const tf = await import('@tensorflow/tfjs'); await tf.setBackend('cpu');
       const m = await import(${JSON.stringify(DIST)});
       m.registerFastCpuKernels({ native: 'required', threads: 2 });
       const conv = (filters, input) => tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), inputShape: input });
       const model = tf.sequential({ layers: [conv(8, [28, 28, 1]), tf.layers.maxPooling2d({ poolSize: 2, padding: 'same' }), conv(8), tf.layers.upSampling2d({ size: [2, 2] }),
         tf.layers.conv2d({ filters: 1, kernelSize: 3, padding: 'same', activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) })] });
       const x = tf.randomUniform([16, 28, 28, 1], 0, 1, 'float32', 3);
       const opt = tf.train.adam(0.01);
       for (let i = 0; i < 3; i++) opt.minimize(() => tf.losses.meanSquaredError(x, model.apply(x, { training: true })));
       const w = model.getWeights().map((t) => Array.from(new Uint32Array(t.dataSync().buffer)));
       console.log(JSON.stringify({ variant: m.nativeKernelStatus().variant, w }));`,
      { DENOISE_SWEEP_NATIVE_ISA: isa },
    ) as { variant: string; w: number[][] };
    const runs = ADDON_VARIANTS.map(step);
    expect(runs.map((r) => r.variant)).toEqual([...ADDON_VARIANTS]);
    for (const r of runs.slice(1)) expect(r.w).toEqual(runs[0]!.w);
  });

  it.runIf(hasNative)('bias-gradient sums do not depend on the thread count', () => {
    const { addon } = loadNativeAddon();
    const rows = 256 * 28 * 28;
    const cols = 32;
    const x = new Float32Array(rows * cols);
    for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.618) * 1e3;
    const sums = [1, 2].map((threads) => {
      addon!.setThreads(threads);
      const out = new Float32Array(cols);
      addon!.sumLeading(x, out, rows, cols);
      return out;
    });
    expect(sums[1]).toEqual(sums[0]);
  });

  it.runIf(hasNative)('uses the requested number of OpenMP threads', () => {
    const { addon } = loadNativeAddon();
    registerFastCpuKernels({ native: 'required', threads: 1 });
    expect(addon!.getThreads()).toBe(1);
    registerFastCpuKernels({ native: 'required', threads: 2 });
    expect(addon!.getThreads()).toBe(2);
    unregisterFastCpuKernels();
  });
});
