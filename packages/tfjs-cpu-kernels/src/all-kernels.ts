/** The list of every fast kernel of the package, in registration order. */
import { binaryKernels } from './binary-kernels.js';
import { convKernels } from './conv-kernels.js';
import type { FastKernelSpec } from './cpu-backend.js';
import { poolKernels } from './pool-kernels.js';
import { resizeKernels } from './resize-kernels.js';
import { slicePadKernels } from './slice-pad-kernels.js';
import { meanKernel, sumKernel } from './sum-kernel.js';
import { unaryKernels } from './unary-kernels.js';

export const allFastKernels: readonly FastKernelSpec[] = [
  ...convKernels,
  ...poolKernels,
  ...resizeKernels,
  ...slicePadKernels,
  ...binaryKernels,
  ...unaryKernels,
  sumKernel,
  meanKernel,
];
