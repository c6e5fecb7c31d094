import type { S3Location, TrainJobData, TrainProgress, TrialResult } from '@denoise-sweep/shared';

/** Parent -> training child. */
export type ToChild =
  | { type: 'train'; jobId: string; data: TrainJobData; s3: S3Location; cacheDir: string; worker: string }
  | { type: 'stop'; reason: 'shutdown' | 'cancel' };

/** Training child -> parent. */
export type FromChild =
  | { type: 'ready'; engine: string; kernels: string; skipped: string[] }
  | { type: 'progress'; progress: TrainProgress }
  /** Step timings since the last report, for the batch-duration histogram and images/s. */
  | { type: 'batches'; images: number; seconds: number[]; trainLoss: number }
  | { type: 'resumed'; checkpoint: string }
  | { type: 'epoch'; trainSeconds: number; trainLoss: number; valLoss: number }
  | { type: 'checkpoint'; bytes: number; seconds: number; ok: boolean }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'done'; status: 'completed'; result: TrialResult; tensors: number; tensorBytes: number }
  | { type: 'done'; status: 'stopped'; epochsDone: number; tensors: number; tensorBytes: number }
  | { type: 'failed'; message: string; unrecoverable: boolean };
