import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { nativeKernelStatus } from '@denoise-sweep/tfjs-cpu-kernels';
import { describe, expect, it } from 'vitest';

const DIST = new URL('../dist/backend.js', import.meta.url).href;

/** selectEngine(engine) in a fresh process (kernels register once per process), with `env`. */
function select(engine: string, env: Record<string, string>): { engine?: string; kernels?: string; skipped?: string[]; error?: string } {
  const code = `const m = await import(${JSON.stringify(DIST)});
    try { const e = await m.selectEngine(${JSON.stringify(engine)}); console.log(JSON.stringify({ engine: e.engine, kernels: e.kernels, skipped: e.skipped })); }
    catch (err) { console.log(JSON.stringify({ error: err.message })); }`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as { engine?: string; kernels?: string; skipped?: string[]; error?: string };
}

const selectCpu = (env: Record<string, string>) => select('cpu', env);

describe('the cpu engine names the kernel tier it runs', () => {
  it.runIf(nativeKernelStatus().available)('oneDNN kernels on every core by default, or the threads asked for, named with the addon build that loaded', () => {
    const variant = nativeKernelStatus().variant!;
    expect(selectCpu({ DENOISE_SWEEP_CPU_THREADS: '' }).kernels).toMatch(new RegExp(`^onednn-${variant}(-\\d+-threads)?$`));
    expect(selectCpu({ DENOISE_SWEEP_CPU_THREADS: '1' }).kernels).toBe(`onednn-${variant}`);
    expect(selectCpu({ DENOISE_SWEEP_CPU_THREADS: '2' }).kernels).toBe(`onednn-${variant}-2-threads`);
    expect(selectCpu({ DENOISE_SWEEP_CPU_THREADS: '2', DENOISE_SWEEP_NATIVE_ISA: 'baseline' }).kernels).toBe('onednn-baseline-2-threads');
  });

  it('the TypeScript kernels when the native ones are off, with the reason in the passed-over list', () => {
    const r = selectCpu({ DENOISE_SWEEP_NATIVE_KERNELS: 'off', DENOISE_SWEEP_CPU_THREADS: '' });
    expect(r.kernels).toBe('js-fast');
    expect(r.skipped).toContain('onednn kernels: turned off by DENOISE_SWEEP_NATIVE_KERNELS');
  });

  it('a bad thread count is one clear error', () => {
    expect(selectCpu({ DENOISE_SWEEP_CPU_THREADS: 'lots' }).error).toBe(
      "training engine 'cpu' is not available: DENOISE_SWEEP_CPU_THREADS must be a whole number from 1 to 64; found 'lots'",
    );
  });
});

describe('TFJS_BACKEND=gpu', () => {
  it.skipIf(existsSync('/proc/driver/nvidia/gpus'))('tries the GPU engines only and, without a GPU, fails with each one\'s reason instead of training on the CPU', () => {
    const r = select('gpu', {});
    expect(r.engine).toBeUndefined();
    expect(r.error).toMatch(/^no GPU engine could start \(TFJS_BACKEND=gpu never trains on the CPU\): tensorflow-gpu: .+; webgpu: .+$/);
  });
});
