/**
 * @denoise-sweep/worker as a library: the training core (dataset, model, trainer, checkpoints,
 * samples) that the `worker` binary runs for each trial.
 */
export { ENGINE_NAMES, nvidiaGpuPresent, selectEngine, type EngineName, type SelectedEngine } from './backend.js';
export { CheckpointStore, checkpointName, MANIFEST_FILE, type Checkpoint, type CheckpointManifest, type PruneOutcome } from './checkpoint-store.js';
export { bestCheckpoint, bestEpoch, pruneCheckpoints } from './checkpoint-retention.js';
export {
  DEBIAN_FASHION_MNIST_DIR, FASHION_MNIST_FILES, fashionMnistDir, loadFashionMnist,
  type FashionMnist, type ImageSet, type LoadFashionMnistOptions,
} from './fashion-mnist.js';
export { DatasetError, parseIdxImages, parseIdxLabels } from './idx-file.js';
export { imageQuality, psnr, ssim, type QualitySummary } from './image-quality.js';
export { buildAutoencoder, IMAGE_SIZE, type AutoencoderOptions } from './model.js';
export { restoreWeights, serializeModel, type SerializedModel } from './model-io.js';
export { addGaussianNoise } from './noise.js';
export { ResumableAdam, type AdamOptions } from './resumable-adam.js';
export { Rng, type RngState } from './rng.js';
export { renderSampleGrid, sampleGridSize } from './samples-png.js';
export { trainEpochs, type BatchProgress, type EpochLoopOptions, type EpochLoopOutcome } from './epoch-loop.js';
export type { TrainerState } from './trainer-state.js';
export { executeTrial, type ExecuteTrialOptions, type TrialOutcome } from './trial-execution.js';
