import { describe, expect, it } from 'vitest';
import { SweepSpecError } from './errors.js';
import { DEFAULT_TRIAL_PARAMS } from './trial.js';
import { validateDatasetLimits, validateTrialParams } from './trial-validate.js';

const good = { ...DEFAULT_TRIAL_PARAMS, filters: [8, 16] };

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SweepSpecError);
    return (error as SweepSpecError).message;
  }
  throw new Error('expected a SweepSpecError');
}

describe('validateTrialParams', () => {
  it('returns a clean copy of valid params', () => {
    const params = validateTrialParams(JSON.parse(JSON.stringify(good)), 'job payload');
    expect(params).toEqual(good);
  });

  it('applies the sweep bounds and reports every problem with its key', () => {
    const message = messageOf(() => validateTrialParams(
      { noise_factor: 3, filters: [8, 2000], epochs: 0, batch_size: 1.5, learning_rate: 0, seed: -1, lr: 1 },
      'job payload',
    ));
    expect(message).toContain('job payload: noise_factor: must be a number from 0 to 2; found 3');
    expect(message).toContain('job payload: filters[1]: must be an integer from 1 to 1024; found 2000');
    expect(message).toContain('job payload: epochs: must be an integer from 1 to 1000; found 0');
    expect(message).toContain('job payload: batch_size: must be an integer from 1 to 4096; found 1.5');
    expect(message).toContain('job payload: learning_rate: must be a number greater than 0 and at most 1; found 0');
    expect(message).toContain('job payload: seed: must be an integer of at least 0');
    expect(message).toContain('job payload: lr: unknown key');
  });

  it('wants the normalised form: all keys, filters as a list', () => {
    const { seed: _seed, ...noSeed } = good;
    expect(messageOf(() => validateTrialParams(noSeed))).toContain('seed: is required');
    expect(messageOf(() => validateTrialParams({ ...good, filters: 16 }))).toContain('filters: must be a list of 1 to 5 widths');
    expect(messageOf(() => validateTrialParams({ ...good, filters: [] }))).toContain('found a list of 0');
    expect(messageOf(() => validateTrialParams(null))).toContain('must be a mapping');
  });
});

describe('validateDatasetLimits', () => {
  it('validates dataset limits on their own', () => {
    expect(validateDatasetLimits({ train_limit: 1, test_limit: 10_000 })).toEqual({ train_limit: 1, test_limit: 10_000 });
    expect(messageOf(() => validateDatasetLimits({ train_limit: 60_001, test_limit: 1 })))
      .toContain('train_limit: must be an integer from 1 to 60000; found 60001');
  });
});
