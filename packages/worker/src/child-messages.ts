import type { EpochRecord, StopReason, StoreConfig, TrainJobData, TrainProgress, TrialResult } from '@denoise-sweep/shared';
import type { FailureKind } from './training-failure.js';

/** Parent -> training child. */
export type ToChild =
  | { type: 'train'; jobId: string; data: TrainJobData; store: StoreConfig; cacheDir: string; worker: string }
  /** The trial's AbortSignal fired: checkpoint at the next batch boundary and stop. */
  | { type: 'stop'; reason: StopReason }
  /** The answer to a 'boundary' question. */
  | { type: 'boundary-decision'; epochsDone: number; cut?: 'pause' | 'early-stop' };

/** Training child -> parent. */
export type FromChild =
  | { type: 'ready'; engine: string; kernels: string; device: string; skipped: string[] }
  | { type: 'progress'; progress: TrainProgress }
  /** Step timings since the last report, for the batch-duration histogram and images/s. */
  | { type: 'batches'; images: number; seconds: number[]; trainLoss: number }
  | { type: 'resumed'; checkpoint: string }
  | { type: 'epoch'; trainSeconds: number; trainLoss: number; valLoss: number }
  | { type: 'checkpoint'; bytes: number; seconds: number; ok: boolean }
  /** An epoch boundary of a trial with early termination: may training go on? (answered by 'boundary-decision') */
  | { type: 'boundary'; epochsDone: number; history: EpochRecord[] }
  /** A log line of the running trial: the parent writes it with the trial's context. */
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string; fields?: Record<string, unknown> }
  | { type: 'done'; status: 'completed'; result: TrialResult; tensors: number; tensorBytes: number }
  | { type: 'done'; status: 'stopped'; reason: StopReason; epochsDone: number; tensors: number; tensorBytes: number }
  | { type: 'failed'; message: string; kind: FailureKind };
