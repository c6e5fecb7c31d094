import * as tf from '@tensorflow/tfjs';

/** A model in the tfjs Layers format: model.json (topology + weights manifest) and weights.bin. */
export interface SerializedModel {
  modelJson: Uint8Array;
  weightsBin: Uint8Array;
}

export const WEIGHTS_FILE = 'weights.bin';

/** Serialises a model so that `tf.loadLayersModel` (or restoreWeights) can read it back. */
export async function serializeModel(model: tf.LayersModel): Promise<SerializedModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!saved?.weightData || !saved.weightSpecs) throw new Error('model.save produced no weights');
  const weights = tf.io.CompositeArrayBuffer.join(saved.weightData);
  const modelJson = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
    modelTopology: saved.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: saved.weightSpecs }],
  };
  return { modelJson: Buffer.from(JSON.stringify(modelJson)), weightsBin: new Uint8Array(weights) };
}

/** Loads weights saved by serializeModel into a model of the same architecture, by weight name. */
export function restoreWeights(model: tf.LayersModel, serialized: SerializedModel): void {
  const json = JSON.parse(Buffer.from(serialized.modelJson).toString('utf8')) as {
    weightsManifest?: { weights: tf.io.WeightsManifestEntry[] }[];
  };
  const specs = json.weightsManifest?.[0]?.weights;
  if (!specs) throw new Error('model.json has no weights manifest');
  const bin = serialized.weightsBin;
  const buffer = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer;
  const expectedBytes = specs.reduce((n, s) => n + 4 * tf.util.sizeFromShape(s.shape), 0);
  if (buffer.byteLength !== expectedBytes) {
    throw new Error(`weights.bin has ${buffer.byteLength} bytes, its manifest describes ${expectedBytes}`);
  }
  const named = tf.io.decodeWeights(buffer, specs);
  try {
    const values = model.weights.map((w) => {
      const t = named[w.originalName];
      if (!t) throw new Error(`checkpoint has no weight ${w.originalName}`);
      if (t.shape.join('x') !== w.shape.join('x')) {
        throw new Error(`checkpoint weight ${w.originalName} has shape [${t.shape}], the model [${w.shape}]`);
      }
      return t;
    });
    model.setWeights(values);
  } finally {
    Object.values(named).forEach((t) => t.dispose());
  }
}
