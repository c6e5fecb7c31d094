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
  fastCpuKernelNames,
  registerFastCpuKernels,
  registeredFastCpuKernels,
  unregisterFastCpuKernels,
  type RegisterFastCpuKernelsOptions,
} from './register.js';
export { KernelTimer, type KernelTiming } from './kernel-timer.js';
