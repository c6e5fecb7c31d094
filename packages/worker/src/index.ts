/**
 * @denoise-sweep/worker as a library: the training core (dataset, model, trainer, checkpoints,
 * samples) that the `worker` binary runs for each trial.
 */
;
export { CheckpointStore, checkpointName } from './checkpoint-store.js';
export { BackgroundWrites } from './background-writes.js';
export { pruneCheckpoints } from './checkpoint-retention.js';
export { loadFashionMnist } from './fashion-mnist.js';
;
;
export { buildAutoencoder } from './model.js';
export { evaluateDenoiser } from './evaluation.js';
export { ResumableAdam } from './resumable-adam.js';
;
;
;
;
;
;
;
;
export { selectEngine } from './backend.js';
export { describeAdapter, probeWebGpu, releaseWebGpu } from './webgpu-engine.js';
export type { GpuAdapter } from './webgpu-engine.js';
export { trainingForward } from './training-forward.js';
