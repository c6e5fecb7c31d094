import * as tf from '@tensorflow/tfjs';

/**
 * The webgpu engine: @tensorflow/tfjs-backend-webgpu on Dawn's Node bindings (npm `webgpu`,
 * whose package carries its own binary), which drive the GPU through Vulkan. It needs only
 * `libvulkan.so.1` and a Vulkan driver: NVIDIA's ICD on GPU machines, Mesa's lavapipe (a CPU
 * emulation, used by the tests) elsewhere.
 *
 * In Node the backend registers only if `navigator.gpu` exists when it is imported, and it
 * needs the WebGPU constants (GPUBufferUsage, ...) as globals: both are installed here before
 * the import. Its synchronous reads (dataSync, arraySync) go through OffscreenCanvas, which
 * Node lacks, so everything on the training path reads with `await data()`.
 */

/** The adapter Dawn gave, as the logs and the info metric name it. */
export interface GpuAdapter {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /**
   * A CPU emulation of a GPU (Mesa's llvmpipe/lavapipe, SwiftShader, Dawn's null backend):
   * usable to test, never chosen by itself.
   */
  software: boolean;
}

const SOFTWARE_ADAPTERS = /llvmpipe|lavapipe|softpipe|swiftshader|null backend|microsoft basic render/i;

/** True for adapters that emulate a GPU on the CPU. */
export function isSoftwareAdapter(info: Omit<GpuAdapter, 'software'>): boolean {
  if (info.architecture.toLowerCase() === 'software') return true;
  return SOFTWARE_ADAPTERS.test(`${info.vendor} ${info.device} ${info.description}`);
}

/** One line for logs: `NVIDIA H200 (nvidia, vulkan)` or `llvmpipe ... (software emulation)`. */
export function describeAdapter(adapter: GpuAdapter): string {
  const name = adapter.description || adapter.device || 'unnamed adapter';
  return adapter.software ? `${name} (software emulation on the CPU)` : `${name} (${adapter.vendor || 'unknown vendor'})`;
}

interface WebGpuModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

let opened: { gpu: GPU; adapter: GpuAdapter } | undefined;

async function loadDawn(): Promise<WebGpuModule> {
  try {
    // A variable specifier: `webgpu` is an optional dependency.
    const name = 'webgpu';
    return (await import(name)) as WebGpuModule;
  } catch (err) {
    throw new Error(`the npm package webgpu could not be loaded (${(err as Error).message.split('\n')[0]}): reinstall with npm ci`, { cause: err });
  }
}

/** Makes `navigator.gpu` and the WebGPU globals visible to tfjs-backend-webgpu. */
function installGlobals(dawn: WebGpuModule, gpu: GPU): void {
  const scope = globalThis as Record<string, unknown>;
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in scope)) scope[name] = value;
  }
  const navigator = scope.navigator as Record<string, unknown> | undefined;
  if (navigator === undefined) scope.navigator = { gpu };
  else Object.defineProperty(navigator, 'gpu', { value: gpu, configurable: true });
}

/**
 * Asks Dawn for the high-performance adapter and describes it. Throws, with what to install,
 * when there is none (no libvulkan.so.1, no Vulkan driver, a driver Dawn cannot use).
 */
export async function probeWebGpu(): Promise<GpuAdapter> {
  if (opened) return opened.adapter;
  const dawn = await loadDawn();
  // Dawn warns on every start when this is unset; the directory is not used for compute.
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  const gpu = dawn.create([]);
  const found = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!found) {
    throw new Error(
      'WebGPU found no adapter: install the Vulkan loader and a driver (libvulkan1 and the NVIDIA driver with graphics capability, or mesa-vulkan-drivers >= 23 for the CPU emulation)',
    );
  }
  // GPUAdapter.info (older type packages, as tfjs-backend-webgpu's, lack it).
  const info = (found as unknown as { info: Omit<GpuAdapter, 'software'> }).info;
  const described = { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description };
  const adapter: GpuAdapter = { ...described, software: isSoftwareAdapter(described) };
  installGlobals(dawn, gpu);
  opened = { gpu, adapter };
  return adapter;
}

/**
 * Activates tfjs's webgpu backend on the adapter probeWebGpu found (probing first if needed).
 * Software adapters are refused unless `allowSoftware`: they are slower than the cpu tier.
 */
export async function activateWebGpu(options: { allowSoftware: boolean }): Promise<GpuAdapter> {
  const adapter = await probeWebGpu();
  if (adapter.software && !options.allowSoftware) {
    throw new Error(`only a software adapter: ${describeAdapter(adapter)}`);
  }
  // Registers the 'webgpu' backend now that navigator.gpu exists.
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs could not initialize its webgpu backend on this adapter');
  await tf.ready();
  return adapter;
}

/**
 * Releases the GPU device so that the process can exit by itself: Dawn keeps the event
 * loop alive while a device is open. Safe to call when webgpu was never activated.
 */
export function releaseWebGpu(): void {
  const backend = tf.findBackend('webgpu') as (tf.KernelBackend & { device?: GPUDevice }) | null;
  if (!backend) return;
  const active = tf.getBackend() === 'webgpu';
  tf.removeBackend('webgpu');
  backend.device?.destroy();
  if (active) void tf.setBackend('cpu');
}
