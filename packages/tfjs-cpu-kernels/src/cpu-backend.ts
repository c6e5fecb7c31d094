/**
 * The small slice of tfjs-backend-cpu's `MathBackendCPU` the kernels use, and helpers to read
 * inputs and hand results back.
 *
 * The cpu backend stores every tensor as one flat typed array in row-major order, looked up
 * by `backend.data.get(dataId).values`; a kernel returns a fresh array wrapped by
 * `backend.makeTensorInfo(shape, dtype, values)`, which the backend then owns.
 */
import type { DataType, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';

/** What the kernels need from the cpu backend. */
interface CpuBackendLike {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: DataType, values?: Float32Array): TensorInfo;
}

/** The argument every kernel function receives. */
export interface KernelArgs {
  inputs: NamedTensorInfoMap;
  backend: object;
  attrs?: NamedAttrMap;
}

/** Builds a fast kernel given the stock one it falls back to. */
type KernelFactory = (stock: KernelFunc) => KernelFunc;

/** A kernel this package can replace: its tfjs name and the factory of the fast version. */
export interface FastKernelSpec {
  kernelName: string;
  create: KernelFactory;
}

/** The backend of a kernel call, typed for the cpu backend. */
function cpuBackend(args: KernelArgs): CpuBackendLike {
  return args.backend as CpuBackendLike;
}

/** The values of a float32 tensor, or undefined when it is another dtype or not a Float32Array. */
export function float32Values(args: KernelArgs, t: TensorInfo | undefined): Float32Array | undefined {
  if (t === undefined || t.dtype !== 'float32') return undefined;
  const values = cpuBackend(args).data.get(t.dataId).values;
  return values instanceof Float32Array ? values : undefined;
}

/** Wraps a result array as a float32 tensor of the cpu backend. */
export function output(args: KernelArgs, shape: number[], values: Float32Array): TensorInfo {
  return cpuBackend(args).makeTensorInfo(shape, 'float32', values);
}

/** Reads a `[h, w]` or scalar attribute as a pair. */
function pairAttr(value: unknown): [number, number] | undefined {
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'number' && typeof value[1] === 'number') {
    return [value[0], value[1]];
  }
  return undefined;
}

/** True when a pair attribute (strides, dilations) is absent or all ones. */
export function isUnitPair(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  const pair = pairAttr(value);
  return pair !== undefined && pair[0] === 1 && pair[1] === 1;
}

/** True when the data format attribute is NHWC (absent means NHWC in tfjs). */
export function isChannelsLast(dataFormat: unknown): boolean {
  return dataFormat === undefined || dataFormat === 'NHWC' || dataFormat === 'channelsLast';
}
