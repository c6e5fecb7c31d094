/**
 * @denoise-sweep/shared: the sweep spec and its expansion into trials, trial ids and the
 * validation the worker applies to job payloads. No TensorFlow and no heavy dependencies here.
 */
export { canonicalJson } from './canonical-json.js';
export { didYouMean, editDistance } from './did-you-mean.js';
export { MAX_RENDERED_ISSUES, SweepSpecError, renderIssue, type SpecIssue } from './errors.js';
export { formatKeyPath, type KeyPath } from './key-path.js';
export { describeBound, type NumberBound } from './number-bounds.js';
export { SeededRandom } from './seeded-random.js';
export { Sfc32 } from './sfc32.js';
export { distinctValues, expandSweep, searchSpaceSize } from './sweep-expand.js';
export { firstNonUtf8Line, parseSweepFile } from './sweep-file.js';
export { MAX_SWEEP_ID_LENGTH, checkSweepName, slugify, sweepId } from './sweep-id.js';
export { parseSweepText } from './sweep-parse.js';
export {
  DEFAULT_KEEP_CHECKPOINTS, DEFAULT_METRIC, DEFAULT_METRIC_GOAL, DISTRIBUTION_NAMES, KEEP_CHECKPOINTS, MAX_ALIAS_COUNT,
  MAX_SWEEP_FILE_BYTES, MAX_TRIALS, METRIC_GOALS, METRIC_NAMES, SAMPLE_SIGNIFICANT_DIGITS, SWEEP_METHODS,
  type Distribution, type DistributionDomain, type DistributionName, type KeepCheckpoints, type MetricGoal, type MetricName,
  type NumericDomain, type SweepMethod, type SweepMetric, type SweepParameters, type SweepSpec, type ValuesDomain,
} from './sweep-spec.js';
export {
  DATASET_BOUNDS, DEFAULT_DATASET_LIMITS, DEFAULT_TRIAL_PARAMS, FILTER_LEVELS, FILTER_WIDTH_BOUND,
  NUMERIC_PARAM_NAMES, PARAM_BOUNDS, PARAM_NAMES, expandFilterShorthand,
  type DatasetLimits, type NumericParamName, type ParamName, type Trial, type TrialParams,
} from './trial.js';
export { TRIAL_ID_LENGTH, trialId } from './trial-id.js';
export { writeTrialConfig, type TrialConfigFile } from './trial-config.js';
export { STOP_REASONS, isStopReason, stopReasonOf, type StopReason } from './trial-stop.js';
export { validateDatasetLimits, validateTrialParams } from './trial-validate.js';
export { ArtifactKeys } from './artifact-keys.js';
export { assertSafeKey, FileObjectStore, openStreamSource, readJson, type ObjectStore, type StreamSource } from './object-store.js';
export { temporaryNameBeside, writeFileAtomic } from './atomic-file.js';
export { mapLimit } from './map-limit.js';
export { ObjectStoreError } from './object-store-error.js';
export {
  DATASET_MANIFEST_FILE, DatasetDistributionError, FASHION_MNIST_GZ_FILES, fetchDataset, manifestBytes, publishDataset,
  type DatasetFile, type DatasetManifest, type DatasetRef,
} from './dataset-distribution.js';
export {
  DEFAULT_RETRY_OPTIONS, RetryExhaustedError, maxRetryWaitMs, resolveRetryOptions, retryDelayMs, withRetry,
  type RetryOptions, type RetryState,
} from './retry-policy.js';
export type { EpochRecord, TrialFailure, TrialResult } from './trial-result.js';
export { EXIT_INVALID_INPUT, EXIT_OK, EXIT_RUNTIME_FAILURE, ExitStatus, UsageError, describeError, exitCodeFor } from './cli-errors.js';
export {
  CANCELLED_REASON, DEFAULT_CHECKPOINT_RETENTION, JOB_NAME, QUEUE_NAME, QUEUE_PREFIX, cancelKey, checkpointRetentionOf, jobIdFor,
  validateTrainJobData, type CheckpointRetention, type TrainJobData, type TrainJobResult, type TrainProgress,
} from './queue-contract.js';
export {
  DEFAULT_STORE_URL, RUNTIME_SETTINGS, readRuntimeSettings, storeConfigOf, type RuntimeConfig, type RuntimeSettings,
} from './runtime-config.js';
export {
  ENGINE_CHOICES, SETTINGS, environmentHelp, environmentOf, fashionMnistDir, flagProperty, readSettings, redactUrl, settingFlags, settingsTable,
  type Program, type Setting, type SettingKey, type SettingValue, type Settings,
} from './settings.js';
export { checkStoreUrl, fileStoreUrl, parseStoreUrl, type StoreLocation } from './store-url.js';
export { openStore, type OpenStoreOptions, type StoreConfig } from './store-factory.js';
export {
  DEBIAN_FASHION_MNIST_DIR, FASHION_MNIST_DATASET, FASHION_MNIST_FILES, FASHION_MNIST_SIZES,
} from './fashion-mnist-files.js';
export { EXPORTER_METRICS, METRIC_PREFIX, TRIAL_RESULT_LABELS, WORKER_METRICS } from './metric-names.js';
export { serveMetrics, type MetricsServer, type MetricsServerOptions } from './metrics-server.js';
