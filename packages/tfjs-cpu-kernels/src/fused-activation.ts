/**
 * Bias and activation applied in place after a fused convolution, with the same formulas as
 * tfjs-backend-cpu's Relu, Relu6, Elu, LeakyRelu and Sigmoid kernels.
 */

/** Activations of FusedConv2D this package computes itself; others (prelu) fall back. */
const FUSED_ACTIVATIONS = ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid'] as const;
export type FusedActivation = (typeof FUSED_ACTIVATIONS)[number];

/** Narrows an attribute to a supported activation (absent means linear). */
export function asFusedActivation(value: unknown): FusedActivation | undefined {
  if (value === undefined || value === null) return 'linear';
  return (FUSED_ACTIVATIONS as readonly unknown[]).includes(value) ? (value as FusedActivation) : undefined;
}

/**
 * `y[i] = act(y[i] + bias[i % channels])` over the whole array; `bias` of length 1 broadcasts,
 * undefined means no bias.
 */
export function applyBiasActivation(
  y: Float32Array,
  channels: number,
  bias: Float32Array | undefined,
  activation: FusedActivation,
  leakyAlpha: number,
): void {
  if (bias !== undefined) addBias(y, channels, bias);
  const n = y.length;
  switch (activation) {
    case 'linear':
      return;
    case 'relu':
      for (let i = 0; i < n; i++) y[i] = Math.max(0, y[i]!);
      return;
    case 'relu6':
      for (let i = 0; i < n; i++) y[i] = Math.min(Math.max(0, y[i]!), 6);
      return;
    case 'elu':
      for (let i = 0; i < n; i++) {
        const v = y[i]!;
        y[i] = v >= 0 ? v : Math.exp(v) - 1;
      }
      return;
    case 'leakyrelu':
      for (let i = 0; i < n; i++) {
        const v = y[i]!;
        y[i] = v < 0 ? leakyAlpha * v : v;
      }
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) y[i] = 1 / (1 + Math.exp(-y[i]!));
      return;
  }
}

function addBias(y: Float32Array, channels: number, bias: Float32Array): void {
  const n = y.length;
  if (bias.length === 1) {
    const b = bias[0]!;
    for (let i = 0; i < n; i++) y[i] = y[i]! + b;
    return;
  }
  for (let i = 0; i < n; i += channels) {
    for (let c = 0; c < channels; c++) y[i + c] = y[i + c]! + bias[c]!;
  }
}
