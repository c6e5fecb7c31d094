import * as tf from '@tensorflow/tfjs';
import { nativeAdamStep, type AdamStep } from '@denoise-sweep/tfjs-cpu-kernels';

export interface AdamOptions {
  /** @defaultValue 0.001 (Keras) */
  learningRate: number;
  /** @defaultValue 0.9 */
  beta1?: number;
  /** @defaultValue 0.999 */
  beta2?: number;
  /** @defaultValue 1e-7 (Keras and tfjs) */
  epsilon?: number;
  /**
   * Where the native cpu kernels serve, update each variable in one native pass instead of a
   * dozen tfjs ops: the same float32 roundings in the same order, so the same bits.
   * @defaultValue true
   */
  fused?: boolean;
}

/** What an Adam checkpoint holds besides the moment tensors. */
export interface AdamStateHeader {
  step: number;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Variable names in the order their first, then second moments are stored. */
  variables: { name: string; shape: number[] }[];
}

/**
 * Adam (Kingma & Ba) whose state restores exactly.
 *
 * tfjs's AdamOptimizer keeps beta^t in variables it multiplies each step, but on setWeights
 * recomputes them with pow(): a resumed run then differs from an uninterrupted one in the
 * last bits. Here the bias corrections come from the integer step count alone, in float64,
 * so a restored optimizer continues bit for bit.
 */
export class ResumableAdam {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private step = 0;
  private readonly fused: boolean;
  private readonly moments = new Map<string, { m: tf.Variable; v: tf.Variable }>();

  private readonly variables: readonly tf.Variable[];
  /** Stable names (the layers' original weight names), for checkpoints. */
  private readonly names: readonly string[];

  /** `variables` by stable name: tf.Variable names get suffixes when a process builds several models. */
  constructor(variables: readonly { name: string; variable: tf.Variable }[], options: AdamOptions) {
    this.variables = variables.map((v) => v.variable);
    this.names = variables.map((v) => v.name);
    this.learningRate = options.learningRate;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
    this.fused = options.fused ?? true;
    for (const variable of this.variables) {
      const zeros = tf.zeros(variable.shape);
      // A variable shares its initial tensor's data; dispose the tensor or it leaks.
      this.moments.set(variable.name, { m: tf.variable(zeros, false), v: tf.variable(zeros, false) });
      zeros.dispose();
    }
  }

  get iterations(): number {
    return this.step;
  }

  /** One update from gradients keyed by variable name (as tf.variableGrads returns them). */
  applyGradients(grads: tf.NamedTensorMap): void {
    this.step += 1;
    const correction1 = 1 - this.beta1 ** this.step;
    const correction2 = 1 - this.beta2 ** this.step;
    const fusedStep = this.fused && tf.getBackend() === 'cpu' ? nativeAdamStep() : undefined;
    if (fusedStep) {
      this.applyFused(fusedStep, grads, correction1, correction2);
      return;
    }
    tf.tidy(() => {
      for (const variable of this.variables) {
        const g = grads[variable.name];
        if (!g) throw new Error(`no gradient for ${variable.name}`);
        const state = this.moments.get(variable.name)!;
        const m = tf.add(tf.mul(state.m, this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(state.v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        state.m.assign(m);
        state.v.assign(v);
        const update = tf.div(tf.div(m, correction1), tf.add(tf.sqrt(tf.div(v, correction2)), this.epsilon));
        variable.assign(tf.sub(variable, tf.mul(update, this.learningRate)));
      }
    });
  }

  /**
   * applyGradients' ops as one native pass per variable (nativeAdamStep), where each tfjs op
   * costs more to dispatch than to compute for these small tensors. The scalars are float32 as
   * tfjs makes them.
   */
  private applyFused(step: AdamStep, grads: tf.NamedTensorMap, correction1: number, correction2: number): void {
    const scalars = Float32Array.of(this.beta1, 1 - this.beta1, this.beta2, 1 - this.beta2, correction1, correction2, this.epsilon, this.learningRate);
    for (const variable of this.variables) {
      const grad = grads[variable.name];
      if (!grad) throw new Error(`no gradient for ${variable.name}`);
      const state = this.moments.get(variable.name)!;
      const n = tf.util.sizeFromShape(variable.shape);
      const m = new Float32Array(n);
      const v = new Float32Array(n);
      const w = new Float32Array(n);
      step(grad.dataSync() as Float32Array, state.m.dataSync() as Float32Array, state.v.dataSync() as Float32Array, variable.dataSync() as Float32Array, m, v, w, scalars);
      tf.tidy(() => {
        state.m.assign(tf.tensor(m, state.m.shape));
        state.v.assign(tf.tensor(v, state.v.shape));
        variable.assign(tf.tensor(w, variable.shape));
      });
    }
  }

  /**
   * Step count, hyperparameters, and the moments as one float32 buffer (all m, then all v).
   * Reads asynchronously: GPU backends have no synchronous read in Node.
   */
  async save(): Promise<{ header: AdamStateHeader; data: Float32Array }> {
    const header: AdamStateHeader = {
      step: this.step,
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      variables: this.variables.map((v, i) => ({ name: this.names[i]!, shape: [...v.shape] })),
    };
    const size = this.variables.reduce((n, v) => n + tf.util.sizeFromShape(v.shape), 0);
    const data = new Float32Array(2 * size);
    let offset = 0;
    for (const which of ['m', 'v'] as const) {
      for (const variable of this.variables) {
        const values = await this.moments.get(variable.name)![which].data();
        data.set(values, offset);
        offset += values.length;
      }
    }
    return { header, data };
  }

  restore(header: AdamStateHeader, data: Float32Array): void {
    const mine = this.variables.map((v, i) => `${this.names[i]}:${v.shape.join('x')}`).join(',');
    const theirs = header.variables.map((v) => `${v.name}:${v.shape.join('x')}`).join(',');
    if (mine !== theirs) throw new Error(`optimizer state is for other variables (${theirs}) than this model's (${mine})`);
    let offset = 0;
    for (const which of ['m', 'v'] as const) {
      for (const variable of this.variables) {
        const size = tf.util.sizeFromShape(variable.shape);
        if (offset + size > data.length) throw new Error('optimizer state is shorter than its header says');
        const values = data.subarray(offset, offset + size);
        tf.tidy(() => this.moments.get(variable.name)![which].assign(tf.tensor(values, variable.shape)));
        offset += size;
      }
    }
    if (offset !== data.length) throw new Error('optimizer state is longer than its header says');
    this.step = header.step;
  }

  dispose(): void {
    for (const { m, v } of this.moments.values()) {
      m.dispose();
      v.dispose();
    }
    this.moments.clear();
  }
}
