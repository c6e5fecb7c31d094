import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { readSettings } from '@denoise-sweep/shared';
import * as tf from '@tensorflow/tfjs';
import { fastCpuKernelThreads, fastCpuKernelTier, nativeKernelStatus, registerFastCpuKernels } from '@denoise-sweep/tfjs-cpu-kernels';
import type { GpuAdapter } from './webgpu-engine.js';
import { activateWebGpu, whyNoHardwareGpu } from './webgpu-engine.js';

/**
 * Training engines, fastest first:
 * - `tensorflow-gpu`: @tensorflow/tfjs-node-gpu (libtensorflow with CUDA), production GPU workers;
 * - `webgpu`: @tensorflow/tfjs-backend-webgpu on Dawn over Vulkan (webgpu-engine.ts), the GPU
 *   engine that installs from npm alone; chosen by itself only on a real GPU adapter, forced
 *   (TFJS_BACKEND=webgpu) also on a software one such as Mesa's lavapipe;
 * - `tensorflow`: @tensorflow/tfjs-node (libtensorflow on CPU);
 * - `cpu`: the pure-JS backend of @tensorflow/tfjs with this project's corrected, faster kernels:
 *   oneDNN convolutions and C++ loops where the native addon was built (libdnnl-dev), else
 *   TypeScript kernels. DENOISE_SWEEP_NATIVE_KERNELS=off forces the TypeScript ones.
 * The native packages are optionalDependencies: their install downloads libtensorflow, and
 * where that fails npm leaves them out, so the pure-JS tier always exists.
 */
type EngineName = 'tensorflow-gpu' | 'webgpu' | 'tensorflow' | 'cpu';
const ENGINE_NAMES: readonly EngineName[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'cpu'];
/** `gpu`: the GPU engines in order, never the CPU (the GPU worker image's choice). */
const GPU_ENGINES: readonly EngineName[] = ['tensorflow-gpu', 'webgpu'];

export interface SelectedEngine {
  engine: EngineName;
  /** The tfjs backend name now active. */
  backend: string;
  /** Which kernels run, for logs and the info metric (e.g. 'libtensorflow', 'onednn-avx512-2-threads', 'js-fast', 'webgpu-vulkan'). */
  kernels: string;
  /** The GPU adapter of the webgpu engine. */
  adapter?: GpuAdapter;
  /** Why faster tiers were passed over, for the log. */
  skipped: string[];
}

/** True when this machine exposes an NVIDIA GPU to the process. */
function nvidiaGpuPresent(): boolean {
  if (process.env.CUDA_VISIBLE_DEVICES === '' || process.env.CUDA_VISIBLE_DEVICES === '-1') return false;
  const dir = '/proc/driver/nvidia/gpus';
  return existsSync(dir) && readdirSync(dir).length > 0;
}

async function loadNative(moduleName: string): Promise<void> {
  // A variable specifier: the module may be absent, and TypeScript must not require it.
  await import(moduleName);
  await tf.setBackend('tensorflow');
  await tf.ready();
}

/** The engines to try, in order, and whether the choice was the user's (a failure is then final). */
function parseEngine(value: string | undefined): { tiers: readonly EngineName[]; forced: EngineName | 'gpu' | undefined } {
  if (value === undefined || value === '' || value === 'auto') return { tiers: ENGINE_NAMES, forced: undefined };
  if (value === 'gpu') return { tiers: GPU_ENGINES, forced: 'gpu' };
  if ((ENGINE_NAMES as readonly string[]).includes(value)) return { tiers: [value as EngineName], forced: value as EngineName };
  throw new Error(`unknown training engine '${value}': use one of ${ENGINE_NAMES.join(', ')}, gpu or auto (set by TFJS_BACKEND or --engine)`);
}

/**
 * Picks and activates the training engine: the one asked for (TFJS_BACKEND or `prefer`;
 * failing if it cannot load), the first GPU engine that loads for `gpu`, else the fastest
 * that loads.
 */
export async function selectEngine(prefer: string | undefined = readSettings(['engine']).engine): Promise<SelectedEngine> {
  const { tiers, forced } = parseEngine(prefer);
  const skipped: string[] = [];
  for (const engine of tiers) {
    try {
      if (engine === 'tensorflow-gpu') {
        if (forced !== 'tensorflow-gpu' && !nvidiaGpuPresent()) throw new Error('no NVIDIA GPU visible');
        await loadNative('@tensorflow/tfjs-node-gpu');
        return { engine, backend: tf.getBackend(), kernels: 'libtensorflow-cuda', skipped };
      }
      if (engine === 'webgpu') {
        // A software adapter (lavapipe) is slower than the cpu engine: used only when forced.
        // Unforced, Dawn is not even loaded without a GPU device and a Vulkan driver for one.
        const noGpu = forced === 'webgpu' ? undefined : whyNoHardwareGpu();
        if (noGpu !== undefined) throw new Error(noGpu);
        const adapter = await activateWebGpu({ allowSoftware: forced === 'webgpu' });
        return { engine, backend: tf.getBackend(), kernels: adapter.software ? 'webgpu-software' : 'webgpu', adapter, skipped };
      }
      if (engine === 'tensorflow') {
        await loadNative('@tensorflow/tfjs-node');
        return { engine, backend: tf.getBackend(), kernels: 'libtensorflow', skipped };
      }
      // Prod mode skips debug-only checks and the cpu backend's "install tfjs-node" banner:
      // the engine choice is logged by the caller, with the reason.
      tf.enableProdMode();
      await tf.setBackend('cpu');
      await tf.ready();
      // Threads of the kernels: DENOISE_SWEEP_CPU_THREADS, else every core for the native
      // tier (a lone worker per machine) and 1 for the TypeScript tier, whose helper threads
      // pay off only on large convolutions. Local mode sets it to cores / workers.
      const native = nativeKernelStatus();
      const threads = readSettings(['cpuThreads']).cpuThreads ?? (native.available ? availableParallelism() : 1);
      registerFastCpuKernels({ threads });
      if (!native.available) skipped.push(`onednn kernels: ${native.reason ?? 'unavailable'}`);
      const used = fastCpuKernelThreads();
      // The native tier names the build of its addon that loaded (see ADDON_VARIANTS).
      const tierName = fastCpuKernelTier() === 'native' ? `onednn-${native.variant ?? 'baseline'}` : 'js-fast';
      return { engine, backend: tf.getBackend(), kernels: used > 1 ? `${tierName}-${used}-threads` : tierName, skipped };
    } catch (err) {
      const reason = (err as Error).message.split('\n')[0] ?? String(err);
      if (forced !== undefined && forced !== 'gpu') throw new Error(`training engine '${engine}' is not available: ${reason}`, { cause: err });
      skipped.push(`${engine}: ${reason}`);
    }
  }
  if (forced === 'gpu') throw new Error(`no GPU engine could start (TFJS_BACKEND=gpu never trains on the CPU): ${skipped.join('; ')}`);
  throw new Error(`no training engine could start: ${skipped.join('; ')}`);
}
