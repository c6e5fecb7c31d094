import { describe, expect, it } from 'vitest';
import { SweepSpecError } from './errors.js';
import { DEFAULT_CHECKPOINT_RETENTION, checkpointRetentionOf, validateSlotJobData, validateTrainJobData } from './queue-contract.js';
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
        /job payload: checkpoints(\.keep|\.metric(\.name|\.goal)?)?: (must be (a mapping \{keep, metric: \{name, goal\}\}|a mapping \{name, goal\}|one of best, latest, all|one of val_loss, psnr, ssim|one of minimize, maximize)|unknown key (extra|delete))$/m,
      );
    }
  });
});

describe('validateTrainJobData: rungs', () => {
  const rungs = (et: Record<string, unknown>) => ({ ...job, rungs: { early_terminate: et, metric: { name: 'psnr', goal: 'maximize' } } });
  const asha = { type: 'asha', grace_period: 1, reduction_factor: 3, max_t: 9, brackets: 1, mode: 'pause' };

  it('reads asha without strict (enqueued before it existed) as Ray\'s rule, and carries strict through', () => {
    expect(validateTrainJobData(rungs(asha)).rungs?.early_terminate).toEqual({ ...asha, strict: false });
    expect(validateTrainJobData(rungs({ ...asha, strict: true })).rungs?.early_terminate).toEqual({ ...asha, strict: true });
    expect(problemsOf(rungs({ ...asha, strict: 'yes' }))).toMatch(/rungs\.early_terminate\.strict: must be true or false/);
  });
});

describe('validateTrainJobData: the schema', () => {
  it('lists every problem of a hostile job with its key path', () => {
    const hostile = { format: 1, sweep: '../../etc', trial: { id: 'x', params: { filters: [100000] }, dataset: {} }, dataset: { name: 'fashion-mnist', sha256: 'no' }, extra: 1 };
    const message = problemsOf(hostile);
    expect(message).toContain("job payload: sweep: must be a sweep id (1-64 of a-z, 0-9, '-')");
    expect(message).toContain('job payload: trial.params.filters[0]: must be an integer from 1 to 1024');
    expect(message).toContain('job payload: trial.params.epochs: must be an integer from 1 to 1000');
    expect(message).toContain('job payload: dataset.sha256: must be 64 hex digits');
    expect(message).toContain('job payload: unknown key extra');
  });

  it('refuses a trial whose id is not the hash of its config', () => {
    const altered = { ...job, trial: { ...trial, params: { ...trial.params, epochs: 3 } } };
    expect(problemsOf(altered)).toContain('job payload: trial.id: does not match the config');
  });

  it('returns the payload as validated', () => {
    expect(validateTrainJobData(job)).toEqual(job);
  });
});

describe('validateTrainJobData and validateSlotJobData: adaptive search and shared runs', () => {
  const grid = (epochs: string, extra = '') => expandSweep(parseSweepText(`name: t\nmethod: grid\nparameters: {epochs: ${epochs}${extra}}\n`, 'f'));

  it('accepts milestones that differ only in fewer epochs, and refuses any other trial', () => {
    const [short, long] = grid('{values: [1, 3]}');
    expect(validateTrainJobData({ ...job, trial: long, shares: { milestones: [short], donor: { trial: short!.id, epochs: 1 } } }).shares?.milestones).toHaveLength(1);
    expect(problemsOf({ ...job, trial: short, shares: { milestones: [long] } })).toMatch(/shares\.milestones: must be trials that differ from this one only in fewer epochs/);
    const [other] = grid('{value: 1}', ', learning_rate: {value: 0.01}');
    expect(problemsOf({ ...job, trial: long, shares: { milestones: [other] } })).toMatch(/shares\.milestones: must be trials that differ/);
  });

  it('checks a slot job\'s search with the sweep file\'s own validator', () => {
    const search = { method: 'tpe', parameters: { learning_rate: { distribution: 'log_uniform_values', min: 0.0001, max: 0.01 } }, metric: { name: 'psnr', goal: 'maximize' }, dataset: { train_limit: 100, test_limit: 10 }, search_seed: 0 };
    const slot = { format: 1, sweep: 'jobs', dataset: job.dataset, slot: 3, search };
    expect(validateSlotJobData(slot)).toMatchObject({ slot: 3, search: { method: 'tpe' } });
    const bad = { ...slot, search: { ...search, parameters: { learning_rate: { distribution: 'log_uniform_values', min: 0, max: 0.01 } } } };
    expect(() => validateSlotJobData(bad)).toThrow(/search\.parameters\.learning_rate\.min: must be a number greater than 0/);
    expect(() => validateSlotJobData({ ...slot, search: { ...search, method: 'grid' } })).toThrow(/search\.method: must be one of bayes, tpe/);
    // search_seed is carried only when sweep.yaml has one; jobs enqueued before wrote 0 either way.
    const { search_seed: _, ...unseeded } = search;
    expect(validateSlotJobData({ ...slot, search: unseeded }).search).not.toHaveProperty('search_seed');
    expect(() => validateSlotJobData({ ...slot, search: { ...search, search_seed: -1 } })).toThrow(/search\.search_seed/);
  });
});
