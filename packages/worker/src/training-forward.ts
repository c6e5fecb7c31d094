import * as tf from '@tensorflow/tfjs';
import { RELU_BIAS_GRAD_KERNEL } from '@denoise-sweep/tfjs-cpu-kernels';

/**
 * The model's forward pass for training, with each relu convolution run as one kernel.
 *
 * Under a gradient tape tfjs-core never fuses an activation into a convolution (fused.conv2d
 * falls back to conv2d, add and relu whenever gradients are recorded and the activation is not
 * linear), so every relu layer of the autoencoder costs three passes over its output in
 * training. Here those layers are one FusedConv2D (convolution, bias and relu in one oneDNN
 * primitive on the cpu engine, one shader on webgpu) with its gradient written out: relu's
 * through the output (y > 0 exactly where x > 0) and the bias's, in one pass on the native cpu
 * kernels, then the convolution's. The
 * gradient towards the model's input, which nothing needs, is not computed. Other layers run
 * as `layer.apply` does; models that are not a plain chain of layers run `model.apply`.
 */
export function trainingForward(model: tf.LayersModel, x: tf.Tensor4D): tf.Tensor {
  const layers = chainOf(model);
  if (layers === undefined) return model.apply(x, { training: true }) as tf.Tensor;
  let h: tf.Tensor = x;
  for (const layer of layers) {
    const conv = reluConvOf(layer);
    h = conv ? convBiasRelu(h as tf.Tensor4D, conv, h === x) : (layer.apply(h, { training: true }) as tf.Tensor);
  }
  return h;
}

interface ReluConv {
  kernel: tf.Variable;
  bias: tf.Variable;
  strides: [number, number];
  pad: 'same' | 'valid';
}

/** The layers after the input, when each takes exactly the output of the one before it. */
function chainOf(model: tf.LayersModel): tf.layers.Layer[] | undefined {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return undefined;
  const [input, ...rest] = model.layers;
  if (input === undefined || input.getClassName() !== 'InputLayer') return undefined;
  let previous = input;
  for (const layer of rest) {
    const nodes = (layer as unknown as { inboundNodes: { inboundLayers: tf.layers.Layer[] }[] }).inboundNodes;
    if (nodes.length !== 1 || nodes[0]!.inboundLayers.length !== 1 || nodes[0]!.inboundLayers[0] !== previous) return undefined;
    previous = layer;
  }
  return previous === model.outputLayers[0] ? rest : undefined;
}

/** A Conv2D layer that computes relu(conv(x) + bias) in NHWC without dilation, and its variables. */
function reluConvOf(layer: tf.layers.Layer): ReluConv | undefined {
  if (layer.getClassName() !== 'Conv2D') return undefined;
  const config = layer.getConfig() as { activation?: string; useBias?: boolean; dataFormat?: string; dilationRate?: number | number[]; strides?: number | number[]; padding?: string };
  const dilation = ([] as number[]).concat(config.dilationRate ?? 1);
  if (config.activation !== 'relu' || config.useBias !== true || (config.dataFormat ?? 'channelsLast') !== 'channelsLast') return undefined;
  if (dilation.some((d) => d !== 1) || (config.padding !== 'same' && config.padding !== 'valid')) return undefined;
  const [kernel, bias] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  if (kernel === undefined || bias === undefined || kernel.rank !== 4 || bias.rank !== 1) return undefined;
  const s = ([] as number[]).concat(config.strides ?? 1);
  return { kernel, bias, strides: [s[0]!, s[1] ?? s[0]!], pad: config.padding };
}

/**
 * Relu's gradient from its output and the bias's: one pass of the native cpu kernels where
 * they serve (the same bits as these ops), else Step, Multiply and Sum.
 */
function reluBiasGrad(dy: tf.Tensor4D, y: tf.Tensor4D): [tf.Tensor4D, tf.Tensor1D] {
  if (tf.getBackend() === 'cpu' && tf.getKernel(RELU_BIAS_GRAD_KERNEL, 'cpu') !== undefined) {
    return tf.engine().runKernel(RELU_BIAS_GRAD_KERNEL, { dy, y }, {}) as unknown as [tf.Tensor4D, tf.Tensor1D];
  }
  const dyPre = tf.mul(dy, tf.step(y)) as tf.Tensor4D;
  return [dyPre, tf.sum(dyPre, [0, 1, 2])];
}

function convBiasRelu(x: tf.Tensor4D, conv: ReluConv, isModelInput: boolean): tf.Tensor4D {
  const { strides, pad } = conv;
  const engine = tf.engine();
  const forward = (xIn: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const y = engine.runKernel('FusedConv2D', { x: xIn, filter, bias }, { strides, pad, dataFormat: 'NHWC', dilations: [1, 1], activation: 'relu' }) as tf.Tensor4D;
    save([xIn, filter, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, fs, ys] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
        const [dyPre, dBias] = reluBiasGrad(dy, ys);
        const dFilter = engine.runKernel('Conv2DBackpropFilter', { x: xs, dy: dyPre }, { strides, pad, dataFormat: 'NHWC', filterShape: fs.shape }) as tf.Tensor4D;
        const dx = isModelInput
          ? tf.zerosLike(xs)
          : (engine.runKernel('Conv2DBackpropInput', { dy: dyPre, filter: fs }, { strides, pad, dataFormat: 'NHWC', inputShape: xs.shape }) as tf.Tensor4D);
        return [dx, dFilter, dBias];
      },
    };
  };
  const op = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x, conv.kernel, conv.bias) as tf.Tensor4D;
}
