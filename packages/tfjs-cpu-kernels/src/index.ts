/**
 * Correct and fast kernels for the pure-JS TensorFlow.js `cpu` backend.
 *
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { registerFastCpuKernels } from '@denoise-sweep/tfjs-cpu-kernels';
 * await tf.setBackend('cpu');
 * registerFastCpuKernels();
 * ```
 *
 * @packageDocumentation
 */
export {
  fastCpuKernelNames, fastCpuKernelThreads, fastCpuKernelTier, measureFmaPeak, nativeAdamStep, nativeImageQuality, registerFastCpuKernels,
  registeredFastCpuKernels, unregisterFastCpuKernels, type FastCpuKernelTier,
} from './register.js';
export { nativeKernelStatus, type AdamStep } from './native-addon.js';
export { bufferPoolStats, type BufferPoolStats } from './buffer-pool.js';
export { KernelTimer, type KernelTiming } from './kernel-timer.js';
export { RELU_BIAS_GRAD_KERNEL } from './native-kernels.js';
