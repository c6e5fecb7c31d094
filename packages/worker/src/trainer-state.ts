import type { RngState } from './rng.js';

/** What one epoch of training measured. */
export interface EpochMetrics {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean training MSE over the epoch's batches (weighted by batch size). */
  trainLoss: number;
  /** MSE of the denoised test subset against the clean one (the seed's val_loss). */
  valLoss: number;
  /** Mean PSNR (dB) of the denoised test images. */
  psnr: number;
  /** Mean SSIM of the denoised test images. */
  ssim: number;
  /** Mean PSNR (dB) of the noisy test images: the baseline denoising must beat. */
  noisyPsnr: number;
  /** Wall time of the epoch's training steps, evaluation excluded. */
  trainSeconds: number;
  /** Wall time of the evaluation on the test subset. */
  evalSeconds: number;
  /** Training images per second over the epoch. */
  imagesPerSec: number;
}

/** The hyperparameters a trainer needs, in code's units. */
export interface TrainingParams {
  noiseFactor: number;
  filters: number[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  trainLimit: number;
  testLimit: number;
}

/** Saved with every checkpoint as trainer-state.json: where training is and how it got there. */
export interface TrainerState {
  format: 1;
  params: TrainingParams;
  epochsDone: number;
  /** Batches already trained in the epoch after epochsDone (non-zero only for shutdown checkpoints). */
  batchesIntoEpoch: number;
  /** Sum of loss * batch size over those batches, so the epoch's train loss comes out the same. */
  lossSumIntoEpoch: number;
  /** Seconds of training already spent in that epoch. */
  secondsIntoEpoch: number;
  /** State of the current epoch's shuffle stream after drawing its permutation. */
  shuffleRng: RngState;
  history: EpochMetrics[];
}

export const TRAINER_STATE_FILE = 'trainer-state.json';
export const OPTIMIZER_STATE_FILE = 'optimizer.json';
export const OPTIMIZER_DATA_FILE = 'optimizer.bin';
export const MODEL_FILE = 'model.json';

/** Canonical text of params, to check that a checkpoint belongs to this trial. */
export function paramsKey(p: TrainingParams): string {
  return JSON.stringify([p.noiseFactor, p.filters, p.epochs, p.batchSize, p.learningRate, p.seed, p.trainLimit, p.testLimit]);
}
