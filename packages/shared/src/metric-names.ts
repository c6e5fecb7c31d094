/**
 * Prometheus metric names of every process, in one place: dashboards, alert rules and tests
 * refer to these. Conventions: the prefix `denoise_sweep_`, `_total` for counters, base units in names
 * (`_seconds`, `_bytes`), and bounded label values only (never a job id on a hot metric).
 */
/** Worker process metrics (`worker --metrics-port`). Labels in comments. */
export const WORKER_METRICS = {
  /** gauge = 1; engine, kernels, version, host */
  info: 'denoise_sweep_worker_info',
  /** counter; engine */
  imagesTrained: 'denoise_sweep_worker_images_trained_total',
  /** gauge: training throughput over the last progress interval; engine */
  imagesPerSecond: 'denoise_sweep_worker_images_per_second',
  /** histogram, seconds: one optimizer step (forward, backward, update) */
  batchDuration: 'denoise_sweep_worker_batch_duration_seconds',
  /** histogram, seconds: one epoch's training, evaluation excluded */
  epochDuration: 'denoise_sweep_worker_epoch_duration_seconds',
  /** counters */
  trialsStarted: 'denoise_sweep_worker_trials_started_total',
  trialsCompleted: 'denoise_sweep_worker_trials_completed_total',
  /** counter; reason = error | unrecoverable */
  trialsFailed: 'denoise_sweep_worker_trials_failed_total',
  /** counter: trials that resumed from a checkpoint */
  trialsResumed: 'denoise_sweep_worker_trials_resumed_total',
  /** counter; reason = shutdown | cancel */
  trialsStopped: 'denoise_sweep_worker_trials_stopped_total',
  rungDecisions: 'denoise_sweep_worker_rung_decisions_total',
  suggestions: 'denoise_sweep_worker_suggestions_total',
  /** counter, bytes uploaded by checkpoints */
  checkpointUploadBytes: 'denoise_sweep_worker_checkpoint_upload_bytes_total',
  /** histogram, seconds per checkpoint upload */
  checkpointUploadDuration: 'denoise_sweep_worker_checkpoint_upload_duration_seconds',
  /** counter: checkpoint uploads that failed (after the store's retries) */
  checkpointUploadFailures: 'denoise_sweep_worker_checkpoint_upload_failures_total',
  /** gauges of the trial in progress, per slot (slot = 0..concurrency-1) */
  trialEpoch: 'denoise_sweep_worker_trial_epoch',
  trialEpochs: 'denoise_sweep_worker_trial_epochs',
  trialProgress: 'denoise_sweep_worker_trial_progress_ratio',
  lastTrainLoss: 'denoise_sweep_worker_last_train_loss',
  lastValLoss: 'denoise_sweep_worker_last_val_loss',
  /** gauges from the training child after each trial: live tensors and their bytes; slot */
  tfjsTensors: 'denoise_sweep_worker_tfjs_tensors',
  tfjsBytes: 'denoise_sweep_worker_tfjs_bytes',
  /** gauge: trials training now */
  activeTrials: 'denoise_sweep_worker_active_trials',
} as const;

/** Exporter metrics (`orchestrator serve`). */
export const EXPORTER_METRICS = {
  /** gauge; state = waiting | active | delayed | completed | failed | prioritized | paused */
  queueJobs: 'denoise_sweep_queue_jobs',
  /** gauge; sweep, state = done | running | waiting | retrying | failed | cancelled | missing */
  sweepTrials: 'denoise_sweep_sweep_trials',
  /** gauge; sweep: number of trials in the sweep */
  sweepTrialsPlanned: 'denoise_sweep_sweep_trials_planned',
  /** gauge 0..1; sweep */
  sweepProgress: 'denoise_sweep_sweep_progress_ratio',
  /** gauges per finished trial; sweep, trial, noise_factor, filters, epochs, batch_size, learning_rate, seed */
  trialValLoss: 'denoise_sweep_trial_val_loss',
  trialPsnr: 'denoise_sweep_trial_psnr_db',
  trialSsim: 'denoise_sweep_trial_ssim',
  trialNoisyPsnr: 'denoise_sweep_trial_noisy_psnr_db',
  trialEpochsCompleted: 'denoise_sweep_trial_epochs_completed',
  /** gauge = 1; version, host */
  exporterInfo: 'denoise_sweep_exporter_info',
  /** histogram, seconds to collect one scrape */
  scrapeDuration: 'denoise_sweep_exporter_collect_duration_seconds',
} as const;

/** Labels of the per-trial result gauges. */
export const TRIAL_RESULT_LABELS = ['sweep', 'trial', 'noise_factor', 'filters', 'epochs', 'batch_size', 'learning_rate', 'seed'] as const;
