/**
 * The optional native addon (`native/dnnl_kernels.cc`): oneDNN convolutions and C++/OpenMP
 * loops, built by `npm run build:native` when Debian's libdnnl-dev and a C++ compiler are
 * present. Loading never throws: when the addon is missing or fails to load, the status says
 * why and the TypeScript kernels serve every call.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The functions the addon exports; every array argument is the caller's, written in place. */
export interface DnnlAddon {
  convForward(x: Float32Array, filter: Float32Array, bias: Float32Array | null, y: Float32Array, geometry: Int32Array, activation: number): void;
  convBackwardData(dy: Float32Array, filter: Float32Array, dx: Float32Array, geometry: Int32Array): void;
  convBackwardWeights(x: Float32Array, dy: Float32Array, dw: Float32Array, geometry: Int32Array): void;
  convImplementations(geometry: Int32Array): { forward: string; backwardData: string; backwardWeights: string };
  maxPool(x: Float32Array, y: Float32Array, dims: Int32Array): void;
  maxPoolGrad(x: Float32Array, dy: Float32Array, dx: Float32Array, dims: Int32Array): void;
  reluBiasGrad(dy: Float32Array, y: Float32Array, dyPre: Float32Array, dbias: Float32Array, channels: number): void;
  imageQuality: ImageQualityPass;
  resizeNearest(x: Float32Array, y: Float32Array, rows: Int32Array, cols: Int32Array, dims: Int32Array): void;
  resizeNearestGrad(dy: Float32Array, dx: Float32Array, rows: Int32Array, cols: Int32Array, dims: Int32Array): void;
  unary(op: number, x: Float32Array, y: Float32Array, alpha: number): void;
  binary(op: number, full: Float32Array, row: Float32Array, out: Float32Array, rowFirst: boolean): void;
  sumLeading(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  copyBox(
    src: Float32Array, srcShape: Int32Array, srcBegin: Int32Array,
    dst: Float32Array, dstShape: Int32Array, dstBegin: Int32Array, size: Int32Array,
  ): void;
  padBox(src: Float32Array, srcShape: Int32Array, dst: Float32Array, dstShape: Int32Array, before: Int32Array, fill: number): void;
  setThreads(threads: number): void;
  getThreads(): number;
  version(): { onednn: string; cpuRuntime: string; isa: number };
  releaseCaches(): void;
  fmaPeak(seconds: number): { gflops: number; threads: number; isa: string };
  adamStep: AdamStep;
}

/**
 * One Adam update of one variable's values into the `Out` arrays: see nativeAdamStep in
 * register.ts. scalars: [b1, 1-b1, b2, 1-b2, c1, c2, eps, lr] as float32.
 */
/**
 * Per image of `count` square `side` x `side` images (float32, one after another): the sum of
 * squared differences from `reference` into `sq`, and the SSIM (11 x 11 Gaussian window,
 * separable, in double) into `ssim`. `weights` holds the window's taps from its edge to its
 * centre (6), `constants` SSIM's C1 and C2: the worker's image-quality.ts computes the same
 * operations in the same order, so gets the same bits.
 */
export type ImageQualityPass = (
  images: Float32Array,
  reference: Float32Array,
  count: number,
  side: number,
  weights: Float64Array,
  constants: Float64Array,
  sq: Float64Array,
  ssim: Float64Array,
) => void;

export type AdamStep = (
  g: Float32Array, m: Float32Array, v: Float32Array, w: Float32Array,
  mOut: Float32Array, vOut: Float32Array, wOut: Float32Array, scalars: Float32Array,
) => void;

/** Whether the native tier can run here, and if not, why. */
export interface NativeKernelStatus {
  available: boolean;
  /** oneDNN's version when available. */
  onednn?: string;
  /** Which build of the addon serves: see ADDON_VARIANTS. */
  variant?: AddonVariant;
  /** Why the addon is not available: never built (and the build's reason), or failed to load. */
  reason?: string;
}

const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));
const RELEASE_DIR = `${PACKAGE_ROOT}native/build/Release`;

/**
 * The addon is built three times from one source: for any x86-64 CPU, and with AVX2 and
 * AVX-512 allowed to the compiler (its hand-written loops vectorize 4 to 16 lanes wide instead
 * of SSE2's 4), all with `-ffp-contract=off` so that no build fuses arithmetic the others
 * do not: the same inputs give the same bits on each. oneDNN picks its own kernels at run time
 * in all three.
 */
export const ADDON_VARIANTS = ['avx512', 'avx2', 'baseline'] as const;
export type AddonVariant = (typeof ADDON_VARIANTS)[number];

/** CPU flags each variant needs (Linux /proc/cpuinfo names). */
const VARIANT_FLAGS: Record<AddonVariant, string[]> = {
  avx512: ['avx512f', 'avx512bw', 'avx512vl', 'avx512dq', 'avx2', 'fma'],
  avx2: ['avx2', 'fma'],
  baseline: [],
};

export const addonPathOf = (variant: AddonVariant): string => `${RELEASE_DIR}/dnnl_kernels${variant === 'baseline' ? '' : `_${variant}`}.node`;

function cpuFlags(): Set<string> {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    return new Set((line?.split(':')[1] ?? '').trim().split(/\s+/));
  } catch {
    return new Set();
  }
}

/**
 * The variant this process loads: DENOISE_SWEEP_NATIVE_ISA when set (to compare builds), else
 * the widest one that was built and that this CPU runs.
 */
export function chooseAddonVariant(env: NodeJS.ProcessEnv = process.env, flags: ReadonlySet<string> = cpuFlags()): AddonVariant {
  const forced = env.DENOISE_SWEEP_NATIVE_ISA;
  if (forced !== undefined && forced !== '') {
    if (!(ADDON_VARIANTS as readonly string[]).includes(forced)) throw new RangeError(`DENOISE_SWEEP_NATIVE_ISA must be one of ${ADDON_VARIANTS.join(', ')}, got '${forced}'`);
    return forced as AddonVariant;
  }
  return ADDON_VARIANTS.find((v) => VARIANT_FLAGS[v].every((f) => flags.has(f)) && existsSync(addonPathOf(v))) ?? 'baseline';
}


/** What `npm run build:native` wrote about its last attempt. */
const BUILD_STATUS_PATH = `${PACKAGE_ROOT}native/build-status.json`;

let loaded: { addon?: DnnlAddon; status: NativeKernelStatus } | undefined;

function buildReason(): string {
  try {
    const status = JSON.parse(readFileSync(BUILD_STATUS_PATH, 'utf8')) as { built?: boolean; reason?: string };
    if (status.built === false && typeof status.reason === 'string') return `not built: ${status.reason}`;
  } catch {
    // No record: the build step never ran.
  }
  return 'not built: run `npm run build:native -w @denoise-sweep/tfjs-cpu-kernels` (needs libdnnl-dev and g++)';
}

/**
 * How long OpenMP's threads spin after a parallel region before they sleep, unless the caller
 * chose (OMP_WAIT_POLICY or GOMP_SPINCOUNT; libgomp reads both when it loads). Measured here:
 * libgomp's default (300,000) trains one process about 5% faster than this, but when several
 * workers share the cores their spinning threads take the CPU the others need (300 tiny
 * trials through 4 workers on 2 cores: 5.4 trials/s against 8.4 with this, and 8.2 passive);
 * 10,000 spins still bridge the short gaps between a step's kernels.
 */
export const DEFAULT_GOMP_SPINCOUNT = '10000';

/** Loads the addon once per process; see {@link DEFAULT_GOMP_SPINCOUNT} for its OpenMP setting. */
export function loadNativeAddon(): { addon?: DnnlAddon; status: NativeKernelStatus } {
  if (loaded !== undefined) return loaded;
  if (process.env.DENOISE_SWEEP_NATIVE_KERNELS === '0' || process.env.DENOISE_SWEEP_NATIVE_KERNELS === 'off') {
    loaded = { status: { available: false, reason: 'turned off by DENOISE_SWEEP_NATIVE_KERNELS' } };
  } else {
    let variant: AddonVariant;
    try {
      variant = chooseAddonVariant();
    } catch (err) {
      loaded = { status: { available: false, reason: (err as Error).message } };
      return loaded;
    }
    const path = addonPathOf(variant);
    if (!existsSync(path)) {
      loaded = { status: { available: false, reason: buildReason() } };
      return loaded;
    }
    if (process.env.OMP_WAIT_POLICY === undefined && process.env.GOMP_SPINCOUNT === undefined) {
      process.env.GOMP_SPINCOUNT = DEFAULT_GOMP_SPINCOUNT;
    }
    try {
      const addon = createRequire(import.meta.url)(path) as DnnlAddon;
      loaded = { addon, status: { available: true, onednn: addon.version().onednn, variant } };
    } catch (err) {
      const first = (err as Error).message.split('\n')[0] ?? String(err);
      loaded = { status: { available: false, reason: `failed to load ${path}: ${first}` } };
    }
  }
  return loaded;
}

/** Whether the native tier can run in this process, and if not, why. */
export function nativeKernelStatus(): NativeKernelStatus {
  return { ...loadNativeAddon().status };
}
