/**
 * @denoise-sweep/shared: the sweep spec and its expansion into trials, trial ids and the
 * validation the worker applies to job payloads. No TensorFlow and no heavy dependencies here.
 */
;
;
export { SweepSpecError } from './errors.js';
;
;
;
export { Sfc32 } from './sfc32.js';
export { expandSweep } from './sweep-expand.js';
export { parseSweepFile } from './sweep-file.js';
export { sweepId } from './sweep-id.js';
export { parseSweepText } from './sweep-parse.js';
export { isAdaptiveMethod, type KeepCheckpoints, type MetricName, type SweepMetric, type SweepSpec } from './sweep-spec.js';
export { describeRungs, trialRungs, type EarlyTerminate } from './early-terminate.js';
export {
  clearPaused, decideAtRung, decideOnRung, decisionAt, markPaused, pausedAt, pausedTrials, pendingPromotions, promotionDone, promotionsOf,
} from './rung-table.js';
export {
  DEFAULT_DATASET_LIMITS, DEFAULT_TRIAL_PARAMS, PARAM_NAMES, type DatasetLimits, type ParamName,
  type Trial, type TrialParams,
} from './trial.js';
export { groupByRun, runId, trialId } from './trial-id.js';
export { writeTrialConfig } from './trial-config.js';
export { writeTrialMetrics } from './trial-metrics.js';
export { PACKED_CHECKPOINT_SUFFIX, packCheckpoint, unpackCheckpoint } from './checkpoint-pack.js';
export { stopReasonOf, type StopReason } from './trial-stop.js';
export { validateDatasetLimits, validateTrialParams } from './trial-validate.js';
export { ArtifactKeys } from './artifact-keys.js';
export { FileObjectStore, readJson, type ObjectStore, type StreamSource } from './object-store.js';
export { writeFileAtomic } from './atomic-file.js';
export { mapLimit } from './map-limit.js';
export { ObjectStoreError } from './object-store-error.js';
export {
  DatasetDistributionError, FASHION_MNIST_GZ_FILES, fetchDataset, publishDataset, type DatasetRef,
} from './dataset-distribution.js';
;
export type { EpochRecord, TrialFailure, TrialResult } from './trial-result.js';
export { EXIT_OK, ExitStatus, UsageError, describeError, exitCodeFor } from './cli-errors.js';
export {
  CANCELLED_REASON, JOB_NAME, QUEUE_NAME, QUEUE_PREFIX, cancelKey, checkpointRetentionOf, jobIdFor,
  validateSlotJobData, validateTrainJobData, type CheckpointRetention, type QueueJobData, type RunShares, type SlotJobData, type TrainJobData, type TrainJobResult,
  type TrainProgress,
} from './queue-contract.js';
export {
  RUNTIME_SETTINGS, readRuntimeSettings, storeConfigOf, type RuntimeConfig, type RuntimeSettings,
} from './runtime-config.js';
export {
  environmentHelp, environmentOf, fashionMnistDir, readSettings, redactUrl, settingFlags,
  settingsTable, type SettingKey,
} from './settings.js';
export { fileStoreUrl } from './store-url.js';
export { openStore, type StoreConfig } from './store-factory.js';
export { DEBIAN_FASHION_MNIST_DIR, FASHION_MNIST_FILES, FASHION_MNIST_SIZES } from './fashion-mnist-files.js';
export { EXPORTER_METRICS, TRIAL_RESULT_LABELS, WORKER_METRICS } from './metric-names.js';
export { serveMetrics, type MetricsServer } from './metrics-server.js';
export {
  computeSuggestion, outcomeAfterRung, readSuggestions, recordOutcome, restoreRecord, searchPayloadOf, searchPolicyOf, seenOf, slotJobId, suggestForSlot, type SuggestionEntry, type TrialOutcome,
} from './suggestion-record.js';
