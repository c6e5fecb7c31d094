import { SweepSpecError } from '@denoise-sweep/shared';

/**
 * Whether a failed training attempt is worth another attempt. It crosses the IPC channel as
 * this word, decided once, in the training child, from the error's class:
 * - unrecoverable: retrying cannot help (an invalid trial config, a loss that diverged: the
 *   same seed diverges again), so the job fails at once;
 * - retryable: anything else (the store down, the child killed), retried from the checkpoint.
 */
export type FailureKind = 'retryable' | 'unrecoverable';

/** The loss became NaN or infinite: the same seed and config would diverge again. */
export class TrainingDivergedError extends Error {
  override readonly name = 'TrainingDivergedError';
}

export function failureKindOf(error: unknown): FailureKind {
  return error instanceof SweepSpecError || error instanceof TrainingDivergedError ? 'unrecoverable' : 'retryable';
}

/** A training attempt that failed, as the parent sees it. */
export class TrainingFailedError extends Error {
  override readonly name = 'TrainingFailedError';
  constructor(message: string, readonly kind: FailureKind) {
    super(message);
  }
}
