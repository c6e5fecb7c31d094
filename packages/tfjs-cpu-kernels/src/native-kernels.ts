/**
 * The native tier: the same kernels as the TypeScript tier, with the work done by the addon
 * (oneDNN convolutions, C++/OpenMP loops). Each one takes its operands from the TypeScript
 * kernel's own `...Inputs` function, so both tiers accept exactly the same cases, and hands
 * anything else to the kernel it wraps (the TypeScript one, which falls back to stock).
 */
import type { KernelFunc } from '@tensorflow/tfjs-core';
import { binaryInputs } from './binary-kernels.js';
import { allocateOutput } from './buffer-pool.js';
import type { ConvGeometry } from './conv-geometry.js';
import { convFilterGradientInputs, convForwardInputs, convInputGradientInputs, convOutShape, fusedBias } from './conv-kernels.js';
import { float32Values, output, type FastKernelSpec, type KernelArgs } from './cpu-backend.js';
import { asFusedActivation } from './fused-activation.js';
import type { DnnlAddon } from './native-addon.js';
import { maxPoolGradInputs, maxPoolInputs, type PoolInfo } from './pool-kernels.js';
import { resizeGradInputs, resizeInputs, type ResizeShape } from './resize-kernels.js';
import { padInputs, sliceInputs } from './slice-pad-kernels.js';
import { sumInputs } from './sum-kernel.js';

/** Activation codes of the addon's convForward. */
const ACTIVATION = { linear: 0, relu: 1, sigmoid: 2 } as const;
/** Op codes of the addon's unary and binary. */
const UNARY = { relu: 0, step: 1, sigmoid: 2, sqrt: 3, square: 4 } as const;
const BINARY = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, SquaredDifference: 4 } as const;
/** The addon's box copies take ranks 1 to 8. */
const MAX_COPY_RANK = 8;

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

const int32 = (values: readonly number[]) => Int32Array.from(values);

/** A kernel of this tier: `run` returns the output, or undefined to hand the call on. */
function nativeKernel(kernelName: string, run: (args: KernelArgs) => ReturnType<KernelFunc> | undefined): FastKernelSpec {
  return { kernelName, create: (next: KernelFunc): KernelFunc => (args) => run(args) ?? next(args) };
}

/** Names of the native tier's kernels, in the order {@link nativeKernels} returns them. */
export const nativeKernelNames: readonly string[] = Object.freeze([
  'Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'MaxPool', 'MaxPoolGrad',
  'ResizeNearestNeighbor', 'ResizeNearestNeighborGrad', 'Relu', 'Step', 'Sigmoid', 'Sqrt', 'Square',
  'Add', 'Sub', 'Multiply', 'RealDiv', 'SquaredDifference', 'Sum', 'Slice', 'PadV2',
]);

/**
 * A kernel of the native tier that tfjs has no counterpart of: inputs `dy` and `y` (a relu's
 * output, channels last), outputs `[dy * step(y), sum of that over every axis but the last]`,
 * the gradients a relu convolution's training step passes to the convolution and to its bias
 * (see the worker's trainingForward), in one pass instead of Step, Multiply and Sum, with
 * their bits. Registered on the `cpu` backend while the native tier serves.
 */
export const RELU_BIAS_GRAD_KERNEL = 'DenoiseSweepReluBiasGrad';

export function reluBiasGradKernel(addon: DnnlAddon): KernelFunc {
  return (args) => {
    const { dy, y } = args.inputs;
    const dyv = float32Values(args, dy);
    const yv = float32Values(args, y);
    if (dy === undefined || y === undefined || dyv === undefined || yv === undefined || dyv.length !== yv.length || dy.shape.length === 0) {
      throw new Error(`${RELU_BIAS_GRAD_KERNEL} needs float32 dy and y of one shape`);
    }
    const channels = dy.shape[dy.shape.length - 1]!;
    const dyPre = allocateOutput(dyv.length, false);
    const dbias = allocateOutput(channels, false);
    addon.reluBiasGrad(dyv, yv, dyPre, dbias, channels);
    return [output(args, dy.shape.slice(), dyPre), output(args, [channels], dbias)];
  };
}

/** Every kernel of the native tier, bound to the loaded addon. */
export function nativeKernels(addon: DnnlAddon): FastKernelSpec[] {
  const convForward = (args: KernelArgs, bias: Float32Array | null, activation: number) => {
    const c = convForwardInputs(args);
    if (c === undefined) return undefined;
    const y = allocateOutput(c.g.batch * c.g.outH * c.g.outW * c.g.outC, false);
    addon.convForward(c.xv, c.fv, bias, y, geometryArray(c.g), activation);
    return output(args, convOutShape(c.g), y);
  };

  const unary = (kernelName: string, op: number, alphaAttr: boolean) =>
    nativeKernel(kernelName, (args) => {
      const x = args.inputs['x'];
      const xv = float32Values(args, x);
      const alpha = args.attrs?.['alpha'];
      if (x === undefined || xv === undefined || (alphaAttr && typeof alpha !== 'number')) return undefined;
      const y = allocateOutput(xv.length, false);
      addon.unary(op, xv, y, typeof alpha === 'number' ? alpha : 0);
      return output(args, x.shape.slice(), y);
    });

  const binary = (kernelName: keyof typeof BINARY) =>
    nativeKernel(kernelName, (args) => {
      const inputs = binaryInputs(args);
      if (inputs === undefined) return undefined;
      const { av, bv, plan } = inputs;
      const out = allocateOutput(plan.size, false);
      // The addon takes the full-size operand first and says which side the other one is on.
      if (plan.rowFirst) addon.binary(BINARY[kernelName], bv, av, out, true);
      else addon.binary(BINARY[kernelName], av, bv, out, false);
      return output(args, plan.shape, out);
    });

  return [
    nativeKernel('Conv2D', (args) => convForward(args, null, ACTIVATION.linear)),
    nativeKernel('FusedConv2D', (args) => {
      const activation = asFusedActivation(args.attrs?.['activation']);
      const outC = args.inputs['filter']?.shape[3] ?? -1;
      const bias = fusedBias(args, outC);
      // oneDNN fuses linear, relu and sigmoid; a scalar bias on several channels is left to the wrapped kernel.
      if (activation === undefined || !(activation in ACTIVATION) || bias === false || (bias !== undefined && bias.length !== outC)) {
        return undefined;
      }
      return convForward(args, bias ?? null, ACTIVATION[activation as keyof typeof ACTIVATION]);
    }),
    nativeKernel('Conv2DBackpropInput', (args) => {
      const c = convInputGradientInputs(args);
      if (c === undefined) return undefined;
      const { g } = c;
      const dx = allocateOutput(g.batch * g.inH * g.inW * g.inC, false);
      addon.convBackwardData(c.dyv, c.fv, dx, geometryArray(g));
      return output(args, [g.batch, g.inH, g.inW, g.inC], dx);
    }),
    nativeKernel('Conv2DBackpropFilter', (args) => {
      const c = convFilterGradientInputs(args);
      if (c === undefined) return undefined;
      const { g } = c;
      const dw = allocateOutput(g.fh * g.fw * g.inC * g.outC, false);
      addon.convBackwardWeights(c.xv, c.dyv, dw, geometryArray(g));
      return output(args, [g.fh, g.fw, g.inC, g.outC], dw);
    }),
    nativeKernel('MaxPool', (args) => {
      const p = maxPoolInputs(args);
      if (p === undefined) return undefined;
      const { info } = p;
      const y = allocateOutput(info.batchSize * info.outHeight * info.outWidth * info.inChannels, false);
      addon.maxPool(p.xv, y, poolArray(info));
      return output(args, [info.batchSize, info.outHeight, info.outWidth, info.inChannels], y);
    }),
    nativeKernel('MaxPoolGrad', (args) => {
      const p = maxPoolGradInputs(args);
      if (p === undefined) return undefined;
      // The addon zeroes dx itself, image by image on its threads.
      const dx = allocateOutput(p.xv.length, false);
      addon.maxPoolGrad(p.xv, p.dyv, dx, poolArray(p.info));
      return output(args, p.shape, dx);
    }),
    nativeKernel('ResizeNearestNeighbor', (args) => {
      const r = resizeInputs(args);
      if (r === undefined) return undefined;
      const { s } = r;
      const y = allocateOutput(s.batch * s.newH * s.newW * s.channels, false);
      addon.resizeNearest(r.xv, y, s.rows, s.cols, resizeArray(s));
      return output(args, [s.batch, s.newH, s.newW, s.channels], y);
    }),
    nativeKernel('ResizeNearestNeighborGrad', (args) => {
      const r = resizeGradInputs(args);
      if (r === undefined) return undefined;
      const { s } = r;
      const dx = allocateOutput(s.batch * s.oldH * s.oldW * s.channels, false);
      addon.resizeNearestGrad(r.dyv, dx, s.rows, s.cols, resizeArray(s));
      return output(args, r.shape, dx);
    }),
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
    nativeKernel('Sum', (args) => {
      const inputs = sumInputs(args);
      // Trailing sums (the loss's mean) are small here: the wrapped kernel does them.
      if (inputs === undefined || !inputs.plan.leading) return undefined;
      const { xv, plan } = inputs;
      const out = allocateOutput(plan.cols, false);
      addon.sumLeading(xv, out, plan.rows, plan.cols);
      return output(args, plan.outShape, out);
    }),
    nativeKernel('Slice', (args) => {
      const p = sliceInputs(args);
      if (p === undefined || p.x.shape.length > MAX_COPY_RANK) return undefined;
      const { x, xv, begin, size } = p;
      const y = allocateOutput(size.reduce((a, b) => a * b, 1), false);
      if (y.length > 0) addon.copyBox(xv, int32(x.shape), int32(begin), y, int32(size), new Int32Array(size.length), int32(size));
      return output(args, size, y);
    }),
    nativeKernel('PadV2', (args) => {
      const p = padInputs(args);
      if (p === undefined || p.x.shape.length < 1 || p.x.shape.length > MAX_COPY_RANK) return undefined;
      const { x, xv, outShape, fill } = p;
      // Every element written once: the border with the fill value, the inside from x.
      const y = allocateOutput(outShape.reduce((a, b) => a * b, 1), false);
      addon.padBox(xv, int32(x.shape), y, int32(outShape), int32(p.before), fill);
      return output(args, outShape, y);
    }),
  ];
}
