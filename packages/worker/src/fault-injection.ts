import { readSettings, UsageError } from '@denoise-sweep/shared';
import type { BatchProgress } from './epoch-loop.js';
import { TrainingDivergedError } from './training-failure.js';

/** The variable that injects faults into training children, for tests and drills. */
const FAULTS_ENV = 'DENOISE_SWEEP_INJECT_FAULTS';

/**
 * Faults injected into training, the one seam through which tests and drills reach it. Read
 * from DENOISE_SWEEP_INJECT_FAULTS, comma-separated:
 * - `nan-loss:<trial id>`: that trial diverges at its first batch, as a NaN loss would make it;
 * - `batch-delay:<ms>`: every batch waits that long after it, so that tests which signal a
 *   worker mid-epoch do not depend on how fast the kernels are.
 */
export interface FaultPlan {
  /** Run after each batch of a trial; may throw (an injected failure) or delay. */
  afterBatch(trialId: string, progress: BatchProgress): Promise<void> | undefined;
}

const NO_FAULTS: FaultPlan = { afterBatch: () => undefined };

/** Parses the variable; an unknown fault is a usage error, not silently nothing. */
export function faultPlan(spec: string | undefined = readSettings(['injectFaults']).injectFaults): FaultPlan {
  const nanTrials = new Set<string>();
  let delayMs = 0;
  for (const fault of (spec ?? '').split(',').map((f) => f.trim()).filter(Boolean)) {
    const nan = /^nan-loss:([0-9a-f]+)$/.exec(fault);
    const delay = /^batch-delay:(\d+)$/.exec(fault);
    if (nan) nanTrials.add(nan[1]!);
    else if (delay) delayMs = Math.max(delayMs, Number(delay[1]));
    else throw new UsageError(`${FAULTS_ENV}: unknown fault '${fault}' (known: nan-loss:<trial id>, batch-delay:<ms>)`);
  }
  if (nanTrials.size === 0 && delayMs === 0) return NO_FAULTS;
  return {
    afterBatch(trialId, p) {
      if (nanTrials.has(trialId)) {
        throw new TrainingDivergedError(`training diverged: loss is NaN at epoch ${p.epoch}, batch ${p.batch} (fault injected by ${FAULTS_ENV})`);
      }
      return delayMs > 0 ? new Promise<void>((resolve) => setTimeout(resolve, delayMs)) : undefined;
    },
  };
}
