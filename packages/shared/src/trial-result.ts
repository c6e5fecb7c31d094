import type { DatasetLimits, TrialParams } from './trial.js';

/** One line of a trial's metrics.jsonl: what one epoch measured. */
export interface EpochRecord {
  epoch: number;
  train_loss: number;
  /** MSE of the denoised test subset against the clean images. */
  val_loss: number;
  /** Mean PSNR of the denoised test images, dB. */
  psnr: number;
  /** Mean SSIM of the denoised test images. */
  ssim: number;
  /** Mean PSNR of the noisy test images: the baseline to beat. */
  noisy_psnr: number;
  train_seconds: number;
  eval_seconds: number;
  images_per_sec: number;
}

/** A finished trial's result.json. Its existence marks the trial done. */
export interface TrialResult {
  format: 1;
  sweep: string;
  trial: string;
  params: TrialParams;
  dataset: DatasetLimits;
  /** completed: trained every epoch; stopped: cut at a rung by early termination (stopped_at is that epoch). */
  status: 'completed' | 'stopped';
  /** The rung epoch at which early termination stopped the trial (status 'stopped'). */
  stopped_at?: number;
  /** The last epoch's metrics. */
  final: Omit<EpochRecord, 'epoch' | 'train_seconds' | 'eval_seconds' | 'images_per_sec'>;
  epochs_completed: number;
  param_count: number;
  /** device: the GPU adapter of the webgpu engine (`NVIDIA ... (nvidia)`), absent on the others. */
  engine: { name: string; backend: string; kernels: string; device?: string };
  timings: { train_seconds: number; eval_seconds: number; wall_seconds: number; images_per_sec: number };
  /** The checkpoint this run resumed from, if it did. */
  resumed_from: string | null;
  /**
   * Object keys of the final checkpoint (`.../<name>.ckpt`; results of earlier versions name a
   * directory of files, `.../<name>`) and of the samples picture.
   */
  checkpoint_key: string;
  samples_key: string;
  finished_at: string;
}

/** A trial's failure.json: its last failed attempt. */
export interface TrialFailure {
  format: 1;
  sweep: string;
  trial: string;
  /** 1-based attempt that failed, and how many the job allows. */
  attempt: number;
  attempts: number;
  reason: string;
  /** True when retrying cannot help (invalid config, diverged loss): the job fails at once. */
  unrecoverable: boolean;
  worker: string;
  failed_at: string;
}
