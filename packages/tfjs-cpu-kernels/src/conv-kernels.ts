/**
 * Conv2D, FusedConv2D, Conv2DBackpropInput and Conv2DBackpropFilter on im2col + GEMM, for
 * NHWC float32 with stride 1 and dilation 1 (any filter size, any padding tfjs accepts).
 * Every other combination runs the stock kernel.
 */
import { backend_util } from '@tensorflow/tfjs-core';
import type { KernelFunc } from '@tensorflow/tfjs-core';
import { allocateOutput } from './buffer-pool.js';
import type { ConvGeometry } from './conv-geometry.js';
import { parallelConvFilterGradient, parallelConvForward, parallelConvInputGradient } from './conv-parallel.js';
import {
  float32Values,
  isChannelsLast,
  isUnitPair,
  output,
  type FastKernelSpec,
  type KernelArgs,
} from './cpu-backend.js';
import { applyBiasActivation, asFusedActivation } from './fused-activation.js';

type PadAttr = Parameters<typeof backend_util.computeConv2DInfo>[4];
type RoundingAttr = Parameters<typeof backend_util.computeConv2DInfo>[5];

/** Geometry of a supported convolution, or undefined when the attributes need the stock kernel. */
function convGeometry(
  xShape: number[],
  filterShape: number[],
  attrs: KernelArgs['attrs'],
): ConvGeometry | undefined {
  if (attrs === undefined) return undefined;
  if (!isChannelsLast(attrs['dataFormat']) || !isUnitPair(attrs['strides']) || !isUnitPair(attrs['dilations'])) {
    return undefined;
  }
  if (xShape.length !== 4 || filterShape.length !== 4) return undefined;
  const info = backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    1,
    1,
    attrs['pad'] as PadAttr,
    attrs['dimRoundingMode'] as RoundingAttr,
  );
  if (info.strideHeight !== 1 || info.strideWidth !== 1 || info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    return undefined;
  }
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    fh: info.filterHeight,
    fw: info.filterWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** `[batch, outH, outW, outC]`. */
export function convOutShape(g: ConvGeometry): number[] {
  return [g.batch, g.outH, g.outW, g.outC];
}

/** Conv2D / FusedConv2D operands: `x [N,H,W,Ci]`, `filter [fh,fw,Ci,Co]`; undefined for the stock kernel. */
export function convForwardInputs(args: KernelArgs): { xv: Float32Array; fv: Float32Array; g: ConvGeometry } | undefined {
  const { x, filter } = args.inputs;
  const xv = float32Values(args, x);
  const fv = float32Values(args, filter);
  if (x === undefined || filter === undefined || xv === undefined || fv === undefined) return undefined;
  const g = convGeometry(x.shape, filter.shape, args.attrs);
  return g === undefined || g.inC !== filter.shape[2] ? undefined : { xv, fv, g };
}

/** Conv2DBackpropInput operands: `dy [N,Ho,Wo,Co]`, `filter`, attribute `inputShape`. */
export function convInputGradientInputs(args: KernelArgs): { dyv: Float32Array; fv: Float32Array; g: ConvGeometry } | undefined {
  const { dy, filter } = args.inputs;
  const inputShape = args.attrs?.['inputShape'];
  const dyv = float32Values(args, dy);
  const fv = float32Values(args, filter);
  if (dy === undefined || filter === undefined || dyv === undefined || fv === undefined || !Array.isArray(inputShape)) return undefined;
  const g = convGeometry(inputShape as number[], filter.shape, args.attrs);
  if (g === undefined || g.inC !== filter.shape[2] || dy.shape.join() !== convOutShape(g).join()) return undefined;
  return { dyv, fv, g };
}

/** Conv2DBackpropFilter operands: `x`, `dy`, attribute `filterShape`. */
export function convFilterGradientInputs(args: KernelArgs): { xv: Float32Array; dyv: Float32Array; g: ConvGeometry } | undefined {
  const { x, dy } = args.inputs;
  const filterShape = args.attrs?.['filterShape'];
  const xv = float32Values(args, x);
  const dyv = float32Values(args, dy);
  if (x === undefined || dy === undefined || xv === undefined || dyv === undefined || !Array.isArray(filterShape)) return undefined;
  const g = convGeometry(x.shape, filterShape as number[], args.attrs);
  if (g === undefined || g.inC !== (filterShape as number[])[2] || dy.shape.join() !== convOutShape(g).join()) return undefined;
  return { xv, dyv, g };
}

function convolve(args: KernelArgs) {
  const c = convForwardInputs(args);
  if (c === undefined) return undefined;
  const y = allocateOutput(c.g.batch * c.g.outH * c.g.outW * c.g.outC, true);
  parallelConvForward(c.xv, c.fv, c.g, y);
  return { g: c.g, y };
}

/** Conv2D: `x [N,H,W,Ci]`, `filter [fh,fw,Ci,Co]`. */
const conv2dKernel: FastKernelSpec = {
  kernelName: 'Conv2D',
  create: (stock: KernelFunc): KernelFunc => (args) => {
    const r = convolve(args);
    return r === undefined ? stock(args) : output(args, convOutShape(r.g), r.y);
  },
};

/** FusedConv2D: convolution, then optional bias (`[Co]` or scalar) and activation (not prelu). */
const fusedConv2dKernel: FastKernelSpec = {
  kernelName: 'FusedConv2D',
  create: (stock: KernelFunc): KernelFunc => (args) => {
    const activation = asFusedActivation(args.attrs?.['activation']);
    const alpha = args.attrs?.['leakyreluAlpha'];
    const filter = args.inputs['filter'];
    const bias = fusedBias(args, filter?.shape[3] ?? -1);
    // Without an alpha the stock leakyrelu yields NaN for negative inputs: leave that to it.
    if (activation === undefined || bias === false || (activation === 'leakyrelu' && typeof alpha !== 'number')) {
      return stock(args);
    }
    const r = convolve(args);
    if (r === undefined) return stock(args);
    applyBiasActivation(r.y, r.g.outC, bias, activation, typeof alpha === 'number' ? alpha : 0);
    return output(args, convOutShape(r.g), r.y);
  },
};

/** The bias values of a FusedConv2D (undefined: no bias), or false when not `[outC]` or scalar float32. */
export function fusedBias(args: KernelArgs, outC: number): Float32Array | undefined | false {
  const bias = args.inputs['bias'];
  if (bias === undefined || bias === null) return undefined;
  const values = float32Values(args, bias);
  if (values === undefined) return false;
  if (values.length === 1 || (bias.shape.length === 1 && values.length === outC)) return values;
  return false;
}

/** Conv2DBackpropInput: `dy [N,Ho,Wo,Co]`, `filter [fh,fw,Ci,Co]` -> `dx` of attribute `inputShape`. */
const conv2dBackpropInputKernel: FastKernelSpec = {
  kernelName: 'Conv2DBackpropInput',
  create: (stock: KernelFunc): KernelFunc => (args) => {
    const c = convInputGradientInputs(args);
    if (c === undefined) return stock(args);
    const { g } = c;
    const dx = allocateOutput(g.batch * g.inH * g.inW * g.inC, true);
    parallelConvInputGradient(c.dyv, c.fv, g, dx);
    return output(args, [g.batch, g.inH, g.inW, g.inC], dx);
  },
};

/** Conv2DBackpropFilter: `x [N,H,W,Ci]`, `dy [N,Ho,Wo,Co]` -> `dW` of attribute `filterShape`. */
const conv2dBackpropFilterKernel: FastKernelSpec = {
  kernelName: 'Conv2DBackpropFilter',
  create: (stock: KernelFunc): KernelFunc => (args) => {
    const c = convFilterGradientInputs(args);
    if (c === undefined) return stock(args);
    const { g } = c;
    return output(args, [g.fh, g.fw, g.inC, g.outC], parallelConvFilterGradient(c.xv, c.dyv, g));
  },
};

/** The convolution kernels of this package. */
export const convKernels: readonly FastKernelSpec[] = [
  conv2dKernel,
  fusedConv2dKernel,
  conv2dBackpropInputKernel,
  conv2dBackpropFilterKernel,
];
