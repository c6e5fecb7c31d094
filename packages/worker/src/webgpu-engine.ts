import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
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

/** One line for logs: `NVIDIA H200 (nvidia)`, or `llvmpipe: Mesa ... (software emulation on the CPU)`. */
export function describeAdapter(adapter: GpuAdapter): string {
  const name = adapter.description || adapter.device || 'unnamed adapter';
  return adapter.software ? `${name} (software emulation on the CPU)` : `${name} (${adapter.vendor || 'unknown vendor'})`;
}

/** A Vulkan driver manifest (ICD JSON) the Vulkan loader would read, and the library it names. */
export interface VulkanDriver {
  manifest: string;
  library: string;
  /** A CPU emulation (Mesa's lavapipe, SwiftShader). */
  software: boolean;
}

const SOFTWARE_DRIVERS = /lvp|lavapipe|llvmpipe|swiftshader/i;

/**
 * The Vulkan drivers the loader would find, read from their manifests as the loader searches
 * them on Linux: VK_DRIVER_FILES (or the older VK_ICD_FILENAMES) alone when set, else the
 * icd.d folders under /etc, XDG_CONFIG_DIRS, XDG_DATA_HOME and XDG_DATA_DIRS, plus
 * VK_ADD_DRIVER_FILES. With gpuDeviceNodes, lets the `auto` and `gpu` choices pass over the
 * webgpu engine on a machine without a GPU without loading Dawn (which prints warnings on
 * lavapipe).
 */
export function listVulkanDrivers(env: NodeJS.ProcessEnv = process.env): VulkanDriver[] {
  const split = (value: string | undefined) => (value ?? '').split(':').filter(Boolean);
  const home = env.HOME ?? '';
  const explicit = split(env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES);
  const searched = explicit.length > 0 ? explicit : [
    ...split(env.XDG_CONFIG_DIRS ?? '/etc/xdg').map((d) => join(d, 'vulkan/icd.d')),
    '/etc/vulkan/icd.d',
    join(env.XDG_DATA_HOME ?? join(home, '.local/share'), 'vulkan/icd.d'),
    ...split(env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share').map((d) => join(d, 'vulkan/icd.d')),
  ];
  const manifests: string[] = [];
  for (const path of [...searched, ...split(env.VK_ADD_DRIVER_FILES)]) {
    try {
      if (statSync(path).isDirectory()) manifests.push(...readdirSync(path).filter((f) => f.endsWith('.json')).sort().map((f) => join(path, f)));
      else manifests.push(path);
    } catch {
      // Absent: the loader skips it too.
    }
  }
  const drivers: VulkanDriver[] = [];
  for (const manifest of manifests) {
    try {
      const library = (JSON.parse(readFileSync(manifest, 'utf8')) as { ICD?: { library_path?: string } }).ICD?.library_path;
      if (typeof library === 'string') drivers.push({ manifest, library, software: SOFTWARE_DRIVERS.test(library) });
    } catch {
      // Unreadable or not JSON: the loader skips it too.
    }
  }
  return drivers;
}

/**
 * The GPU device nodes a Vulkan driver for real hardware opens: NVIDIA's (/dev/nvidia0, ...)
 * and the DRM render nodes of AMD, Intel and other kernel drivers (/dev/dri/renderD128, ...).
 */
export function gpuDeviceNodes(dev = '/dev'): string[] {
  const list = (dir: string, pattern: RegExp) => {
    try {
      return readdirSync(dir).filter((f) => pattern.test(f)).sort().map((f) => join(dir, f));
    } catch {
      return [];
    }
  };
  return [...list(dev, /^nvidia\d+$/), ...list(join(dev, 'dri'), /^renderD\d+$/)];
}

/**
 * Why this machine has no GPU for Vulkan to drive (no hardware driver installed, or no GPU
 * device node), or undefined when it may: checked without loading Dawn.
 */
export function whyNoHardwareGpu(): string | undefined {
  const drivers = listVulkanDrivers();
  if (!drivers.some((d) => !d.software)) {
    return drivers.length === 0 ? 'no Vulkan driver installed' : `no Vulkan driver for a GPU (only ${drivers.map((d) => d.library).join(', ')})`;
  }
  if (gpuDeviceNodes().length === 0) return 'no GPU device (/dev/nvidia*, /dev/dri/renderD*)';
  return undefined;
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
