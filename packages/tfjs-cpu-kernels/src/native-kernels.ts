/**
 * The native tier: the same kernels as the TypeScript tier, with the work done by the addon
 * (oneDNN convolutions, C++/OpenMP loops). Each one parses its attributes with the
 * TypeScript tier's own helpers, so both tiers accept exactly the same cases, and hands
 * anything else to the kernel it wraps (the TypeScript one, which falls back to stock).
 */
import { slice_util } from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { binaryPlan } from './binary-kernels.js';
import type { ConvGeometry } from './conv-geometry.js';
import { convGeometry, convOutShape, fusedBias } from './conv-kernels.js';
import { float32Values, output, type FastKernelSpec, type KernelArgs } from './cpu-backend.js';
import { allocateOutput } from './buffer-pool.js';
import { asFusedActivation } from './fused-activation.js';
import type { DnnlAddon } from './native-addon.js';
import { poolInfo, type PoolInfo } from './pool-kernels.js';
import { resizeShape, type ResizeShape } from './resize-kernels.js';
import { sumPlan } from './sum-kernel.js';

/** Activation codes of the addon's convForward. */
const ACTIVATION = { linear: 0, relu: 1, sigmoid: 2 } as const;
/** Op codes of the addon's unary and binary. */
const UNARY = { relu: 0, step: 1, sigmoid: 2, sqrt: 3, square: 4 } as const;
const BINARY = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, SquaredDifference: 4 } as const;

function geometryArray(g: ConvGeometry): Int32Array {
  return Int32Array.of(g.batch, g.inH, g.inW, g.inC, g.outH, g.outW, g.outC, g.fh, g.fw, g.padTop, g.padLeft);
}

function poolArray(p: PoolInfo): Int32Array {
  return Int32Array.of(
    p.batchSize, p.inHeight, p.inWidth, p.inChannels, p.outHeight, p.outWidth,
    p.filterHeight, p.filterWidth, p.strideHeight, p.strideWidth, p.padInfo.top, p.padInfo.left,
  );
}

function resizeArray(s: ResizeShape): Int32Array {
  return Int32Array.of(s.batch, s.oldH, s.oldW, s.channels, s.newH, s.newW);
}

/** A convolution's input values and geometry, or undefined when the wrapped kernel must run. */
function convInputs(args: KernelArgs, x: TensorInfo | undefined, filter: TensorInfo | undefined) {
  const xv = float32Values(args, x);
  const fv = float32Values(args, filter);
  if (x === undefined || filter === undefined || xv === undefined || fv === undefined) return undefined;
  const g = convGeometry(x.shape, filter.shape, args.attrs);
  if (g === undefined || g.inC !== filter.shape[2]) return undefined;
  return { xv, fv, g };
}

/** Names of the native tier's kernels, in the order {@link nativeKernels} returns them. */
export const nativeKernelNames: readonly string[] = Object.freeze([
  'Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'MaxPool', 'MaxPoolGrad',
  'ResizeNearestNeighbor', 'ResizeNearestNeighborGrad', 'Relu', 'Step', 'Sigmoid', 'Sqrt', 'Square',
  'Add', 'Sub', 'Multiply', 'RealDiv', 'SquaredDifference', 'Sum', 'Slice', 'PadV2',
]);

/** Every kernel of the native tier, bound to the loaded addon. */
export function nativeKernels(addon: DnnlAddon): FastKernelSpec[] {
  const conv2d: FastKernelSpec = {
    kernelName: 'Conv2D',
    create: (next: KernelFunc): KernelFunc => (args) => {
      const c = convInputs(args, args.inputs['x'], args.inputs['filter']);
      if (c === undefined) return next(args);
      const y = allocateOutput(c.g.batch * c.g.outH * c.g.outW * c.g.outC, false);
      addon.convForward(c.xv, c.fv, null, y, geometryArray(c.g), ACTIVATION.linear);
      return output(args, convOutShape(c.g), y);
    },
  };

  const fusedConv2d: FastKernelSpec = {
    kernelName: 'FusedConv2D',
    create: (next: KernelFunc): KernelFunc => (args) => {
      const activation = asFusedActivation(args.attrs?.['activation']);
      const filter = args.inputs['filter'];
      const bias = fusedBias(args, filter?.shape[3] ?? -1);
      const outC = filter?.shape[3] ?? -1;
      // oneDNN fuses linear, relu and sigmoid; a scalar bias on several channels is left to the wrapped kernel.
      if (activation === undefined || !(activation in ACTIVATION) || bias === false || (bias !== undefined && bias.length !== outC)) {
        return next(args);
      }
      const c = convInputs(args, args.inputs['x'], filter);
      if (c === undefined) return next(args);
      const y = allocateOutput(c.g.batch * c.g.outH * c.g.outW * c.g.outC, false);
      const code = ACTIVATION[activation as keyof typeof ACTIVATION];
      addon.convForward(c.xv, c.fv, bias ?? null, y, geometryArray(c.g), code);
      return output(args, convOutShape(c.g), y);
    },
  };

  const conv2dBackpropInput: FastKernelSpec = {
    kernelName: 'Conv2DBackpropInput',
    create: (next: KernelFunc): KernelFunc => (args) => {
      const { dy, filter } = args.inputs;
      const inputShape = args.attrs?.['inputShape'];
      const dyv = float32Values(args, dy);
      const fv = float32Values(args, filter);
      if (dy === undefined || filter === undefined || dyv === undefined || fv === undefined || !Array.isArray(inputShape)) {
        return next(args);
      }
      const g = convGeometry(inputShape as number[], filter.shape, args.attrs);
      if (g === undefined || g.inC !== filter.shape[2] || dy.shape.join() !== convOutShape(g).join()) return next(args);
      const dx = allocateOutput(g.batch * g.inH * g.inW * g.inC, false);
      addon.convBackwardData(dyv, fv, dx, geometryArray(g));
      return output(args, [g.batch, g.inH, g.inW, g.inC], dx);
    },
  };

  const conv2dBackpropFilter: FastKernelSpec = {
    kernelName: 'Conv2DBackpropFilter',
    create: (next: KernelFunc): KernelFunc => (args) => {
      const { x, dy } = args.inputs;
      const filterShape = args.attrs?.['filterShape'];
      const xv = float32Values(args, x);
      const dyv = float32Values(args, dy);
      if (x === undefined || dy === undefined || xv === undefined || dyv === undefined || !Array.isArray(filterShape)) {
        return next(args);
      }
      const g = convGeometry(x.shape, filterShape as number[], args.attrs);
      if (g === undefined || g.inC !== (filterShape as number[])[2] || dy.shape.join() !== convOutShape(g).join()) return next(args);
      const dw = allocateOutput(g.fh * g.fw * g.inC * g.outC, false);
      addon.convBackwardWeights(xv, dyv, dw, geometryArray(g));
      return output(args, [g.fh, g.fw, g.inC, g.outC], dw);
    },
  };

  const maxPool: FastKernelSpec = {
    kernelName: 'MaxPool',
    create: (next: KernelFunc): KernelFunc => (args) => {
      const x = args.inputs['x'];
      const xv = float32Values(args, x);
      const info = x === undefined ? undefined : poolInfo(x.shape, args.attrs);
      if (xv === undefined || info === undefined || info.outHeight <= 0 || info.outWidth <= 0) return next(args);
      const y = allocateOutput(info.batchSize * info.outHeight * info.outWidth * info.inChannels, false);
      addon.maxPool(xv, y, poolArray(info));
      return output(args, [info.batchSize, info.outHeight, info.outWidth, info.inChannels], y);
    },
  };

  const maxPoolGrad: FastKernelSpec = {
    kernelName: 'MaxPoolGrad',
    create: (next: KernelFunc): KernelFunc => (args) => {
      const { dy, input } = args.inputs;
      const xv = float32Values(args, input);
      const dyv = float32Values(args, dy);
      const info = input === undefined ? undefined : poolInfo(input.shape, args.attrs);
      if (xv === undefined || dyv === undefined || info === undefined || info.outHeight <= 0 || info.outWidth <= 0) return next(args);
      if (dyv.length !== info.batchSize * info.outHeight * info.outWidth * info.inChannels) return next(args);
      const dx = allocateOutput(xv.length, true);
      addon.maxPoolGrad(xv, dyv, dx, poolArray(info));
      return output(args, input!.shape.slice(), dx);
    },
  };

  const resizeNearest: FastKernelSpec = {
    kernelName: 'ResizeNearestNeighbor',
    create: (next: KernelFunc): KernelFunc => (args) => {
      const images = args.inputs['images'];
      const xv = float32Values(args, images);
      const size = args.attrs?.['size'];
      if (images === undefined || xv === undefined || !Array.isArray(size) || size.length !== 2) return next(args);
      const s = resizeShape(images.shape, size[0] as number, size[1] as number, args.attrs);
      if (s === undefined || xv.length === 0 || s.newH <= 0 || s.newW <= 0) return next(args);
      const y = allocateOutput(s.batch * s.newH * s.newW * s.channels, false);
      addon.resizeNearest(xv, y, s.rows, s.cols, resizeArray(s));
      return output(args, [s.batch, s.newH, s.newW, s.channels], y);
    },
  };

  const resizeNearestGrad: FastKernelSpec = {
    kernelName: 'ResizeNearestNeighborGrad',
    create: (next: KernelFunc): KernelFunc => (args) => {
      const { images, dy } = args.inputs;
      const dyv = float32Values(args, dy);
      if (images === undefined || dy === undefined || dyv === undefined || dy.shape.length !== 4) return next(args);
      const s = resizeShape(images.shape, dy.shape[1]!, dy.shape[2]!, args.attrs);
      if (s === undefined || dy.shape[0] !== s.batch || dy.shape[3] !== s.channels || dyv.length === 0) return next(args);
      const dx = allocateOutput(s.batch * s.oldH * s.oldW * s.channels, true);
      addon.resizeNearestGrad(dyv, dx, s.rows, s.cols, resizeArray(s));
      return output(args, images.shape.slice(), dx);
    },
  };

  const unary = (kernelName: string, op: number, alphaAttr: boolean): FastKernelSpec => ({
    kernelName,
    create: (next: KernelFunc): KernelFunc => (args) => {
      const x = args.inputs['x'];
      const xv = float32Values(args, x);
      const alpha = args.attrs?.['alpha'];
      if (x === undefined || xv === undefined || (alphaAttr && typeof alpha !== 'number')) return next(args);
      const y = allocateOutput(xv.length, false);
      addon.unary(op, xv, y, typeof alpha === 'number' ? alpha : 0);
      return output(args, x.shape.slice(), y);
    },
  });

  const binary = (kernelName: keyof typeof BINARY): FastKernelSpec => ({
    kernelName,
    create: (next: KernelFunc): KernelFunc => (args) => {
      const { a, b } = args.inputs;
      const av = float32Values(args, a);
      const bv = float32Values(args, b);
      if (a === undefined || b === undefined || av === undefined || bv === undefined) return next(args);
      const plan = binaryPlan(a, av, b, bv);
      if (plan === undefined) return next(args);
      const out = allocateOutput(plan.size, false);
      if (plan.rowFirst) addon.binary(BINARY[kernelName], bv, av, out, true);
      else addon.binary(BINARY[kernelName], av, bv, out, false);
      return output(args, plan.shape, out);
    },
  });

  const sum: FastKernelSpec = {
    kernelName: 'Sum',
    create: (next: KernelFunc): KernelFunc => (args) => {
      const x = args.inputs['x'];
      const xv = float32Values(args, x);
      if (x === undefined || xv === undefined || xv.length === 0) return next(args);
      const plan = sumPlan(x.shape, xv.length, args.attrs);
      // Trailing sums (the loss's mean) are small here: the wrapped kernel does them.
      if (plan === undefined || !plan.leading) return next(args);
      const out = allocateOutput(plan.cols, false);
      addon.sumLeading(xv, out, plan.rows, plan.cols);
      return output(args, plan.outShape, out);
    },
  };

  const int32 = (values: readonly number[]) => Int32Array.from(values);

  const slice: FastKernelSpec = {
    kernelName: 'Slice',
    create: (next: KernelFunc): KernelFunc => (args) => {
      const x = args.inputs['x'];
      const xv = float32Values(args, x);
      if (x === undefined || xv === undefined || x.shape.length < 1 || x.shape.length > 8) return next(args);
      const [begin, size] = slice_util.parseSliceParams(
        x,
        args.attrs?.['begin'] as number | number[],
        args.attrs?.['size'] as number | number[] | undefined,
      );
      // Contiguous slices stay views (the stock kernel's subarray), as in the TypeScript tier.
      if (begin === undefined || size === undefined || slice_util.isSliceContinous(x.shape, begin, size)) return next(args);
      if (size.some((n, d) => n < 0 || begin[d]! < 0 || begin[d]! + n > x.shape[d]!)) return next(args);
      const y = allocateOutput(size.reduce((a, b) => a * b, 1), false);
      if (y.length > 0) addon.copyBox(xv, int32(x.shape), int32(begin), y, int32(size), new Int32Array(size.length), int32(size));
      return output(args, size, y);
    },
  };

  const padV2: FastKernelSpec = {
    kernelName: 'PadV2',
    create: (next: KernelFunc): KernelFunc => (args) => {
      const x = args.inputs['x'];
      const xv = float32Values(args, x);
      const paddings = args.attrs?.['paddings'] as [number, number][] | undefined;
      const constantValue = args.attrs?.['constantValue'];
      if (x === undefined || xv === undefined || !Array.isArray(paddings) || paddings.length !== x.shape.length) return next(args);
      if (x.shape.length < 1 || x.shape.length > 8 || paddings.some((p) => !(p[0] >= 0 && p[1] >= 0))) return next(args);
      const outShape = x.shape.map((n, d) => paddings[d]![0] + n + paddings[d]![1]);
      const fill = typeof constantValue === 'number' ? constantValue : 0;
      const y = allocateOutput(outShape.reduce((a, b) => a * b, 1), fill === 0);
      if (fill !== 0) y.fill(fill);
      if (xv.length > 0) {
        addon.copyBox(xv, int32(x.shape), new Int32Array(x.shape.length), y, int32(outShape), int32(paddings.map((p) => p[0])), int32(x.shape));
      }
      return output(args, outShape, y);
    },
  };

  return [
    conv2d,
    fusedConv2d,
    conv2dBackpropInput,
    conv2dBackpropFilter,
    maxPool,
    maxPoolGrad,
    resizeNearest,
    resizeNearestGrad,
    unary('Relu', UNARY.relu, false),
    unary('Step', UNARY.step, true),
    unary('Sigmoid', UNARY.sigmoid, false),
    unary('Sqrt', UNARY.sqrt, false),
    unary('Square', UNARY.square, false),
    binary('Add'),
    binary('Sub'),
    binary('Multiply'),
    binary('RealDiv'),
    binary('SquaredDifference'),
    sum,
    slice,
    padV2,
  ];
}
