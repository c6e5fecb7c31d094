import type { S3Location, TrainJobData, TrainProgress, TrialResult } from '@denoise-sweep/shared';

/** Parent -> training child. */
export type ToChild =
  | { type: 'train'; jobId: string; data: TrainJobData; s3: S3Location; cacheDir: string; worker: string }
  | { type: 'stop'; reason: 'shutdown' | 'cancel' };

/** Training child -> parent. */
export type FromChild =
  | { type: 'ready'; engine: string; kernels: string; skipped: string[] }
  | { type: 'progress'; progress: TrainProgress }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'done'; status: 'completed'; result: TrialResult; tensors: number }
  | { type: 'done'; status: 'stopped'; epochsDone: number; tensors: number }
  | { type: 'failed'; message: string; unrecoverable: boolean };
