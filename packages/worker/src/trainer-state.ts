import type { EpochRecord, Trial } from '@denoise-sweep/shared';
import type { RngState } from './rng.js';

/** Saved with every checkpoint as trainer-state.json: where training is and how it got there. */
export interface TrainerState {
  /** 2 since the state names its trial; format 1 (params in code's units) is not resumed. */
  format: 2;
  /** The trial this state belongs to: a checkpoint of another trial is never resumed. */
  trial: Trial;
  epochsDone: number;
  /** Batches already trained in the epoch after epochsDone (non-zero only for shutdown checkpoints). */
  batchesIntoEpoch: number;
  /** Sum of loss * batch size over those batches, so the epoch's train loss comes out the same. */
  lossSumIntoEpoch: number;
  /** Seconds of training already spent in that epoch. */
  secondsIntoEpoch: number;
  /** State of the current epoch's shuffle stream after drawing its permutation. */
  shuffleRng: RngState;
  history: EpochRecord[];
}

export const TRAINER_STATE_FILE = 'trainer-state.json';
export const OPTIMIZER_STATE_FILE = 'optimizer.json';
export const OPTIMIZER_DATA_FILE = 'optimizer.bin';
export const MODEL_FILE = 'model.json';
