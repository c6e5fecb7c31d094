import { describe, expect, it } from 'vitest';
import { SweepSpecError } from './errors.js';
import { DEFAULT_CHECKPOINT_RETENTION, checkpointRetentionOf, validateTrainJobData } from './queue-contract.js';
import { expandSweep } from './sweep-expand.js';
import { parseSweepText } from './sweep-parse.js';

const trial = expandSweep(parseSweepText('name: t\nmethod: grid\nparameters: {epochs: {value: 2}}\n', 'f'))[0]!;
const job = { format: 1, sweep: 'jobs', trial, dataset: { name: 'fashion-mnist', sha256: 'a'.repeat(64) } };

function problemsOf(value: unknown): string {
  try {
    validateTrainJobData(value);
  } catch (error) {
    expect(error).toBeInstanceOf(SweepSpecError);
    return (error as Error).message;
  }
  throw new Error('expected the job to be refused');
}

describe('validateTrainJobData: checkpoints', () => {
  it('accepts a job without it (enqueued before it existed): the default retention', () => {
    const data = validateTrainJobData(job);
    expect(data.checkpoints).toBeUndefined();
    expect(checkpointRetentionOf(data)).toEqual({ keep: 'best', metric: { name: 'val_loss', goal: 'minimize' } });
    expect(DEFAULT_CHECKPOINT_RETENTION).toEqual(checkpointRetentionOf(data));
  });

  it('carries every policy and metric through', () => {
    for (const keep of ['best', 'latest', 'all'] as const) {
      const checkpoints = { keep, metric: { name: 'psnr', goal: 'maximize' } };
      const data = validateTrainJobData({ ...job, checkpoints });
      expect(data.checkpoints).toEqual(checkpoints);
      expect(checkpointRetentionOf(data)).toEqual(checkpoints);
    }
  });

  it('refuses bad policies, metrics and extra keys', () => {
    const bad = [
      'none',
      { keep: 'none', metric: { name: 'val_loss', goal: 'minimize' } },
      { keep: 'best' },
      { keep: 'best', metric: { name: 'accuracy', goal: 'maximize' } },
      { keep: 'best', metric: { name: 'psnr', goal: 'up' } },
      { keep: 'best', metric: { name: 'psnr', goal: 'maximize', extra: 1 } },
      { keep: 'best', metric: { name: 'psnr', goal: 'maximize' }, delete: 'everything' },
      null,
    ];
    for (const checkpoints of bad) {
      expect(problemsOf({ ...job, checkpoints }), JSON.stringify(checkpoints)).toMatch(
        /checkpoints: must be \{keep: best \| latest \| all, metric: \{name: val_loss \| psnr \| ssim, goal: minimize \| maximize\}\}, found /,
      );
    }
  });
});
