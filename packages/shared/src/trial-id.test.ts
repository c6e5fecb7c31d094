import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';
import { DEFAULT_DATASET_LIMITS, DEFAULT_TRIAL_PARAMS, type TrialParams } from './trial.js';
import { trialId } from './trial-id.js';

const DEFAULTS_JSON =
  '{"dataset":{"test_limit":10000,"train_limit":60000},'
  + '"params":{"batch_size":256,"epochs":50,"filters":[32,64,128],"learning_rate":0.001,"noise_factor":0.5,"seed":0}}';

describe('trialId', () => {
  it('is the first 12 hex digits of sha256 of the canonical config (golden value)', () => {
    // Golden: `printf '%s' "$DEFAULTS_JSON" | sha256sum` gives 5083c1396761478a...
    expect(canonicalJson({ params: DEFAULT_TRIAL_PARAMS, dataset: DEFAULT_DATASET_LIMITS })).toBe(DEFAULTS_JSON);
    expect(createHash('sha256').update(DEFAULTS_JSON).digest('hex').slice(0, 12)).toBe('5083c1396761');
    expect(trialId({ ...DEFAULT_TRIAL_PARAMS, filters: [32, 64, 128] }, { ...DEFAULT_DATASET_LIMITS })).toBe('5083c1396761');
  });

  it('ignores key order and extra properties, but not any value', () => {
    const params: TrialParams = { seed: 0, learning_rate: 0.001, batch_size: 256, epochs: 50, filters: [32, 64, 128], noise_factor: 0.5 };
    const extra = { ...params, note: 'ignored' } as TrialParams;
    expect(trialId(params, DEFAULT_DATASET_LIMITS)).toBe('5083c1396761');
    expect(trialId(extra, DEFAULT_DATASET_LIMITS)).toBe('5083c1396761');
    expect(trialId({ ...params, seed: 1 }, DEFAULT_DATASET_LIMITS)).not.toBe('5083c1396761');
    expect(trialId({ ...params, filters: [64, 32, 128] }, DEFAULT_DATASET_LIMITS)).not.toBe('5083c1396761');
    expect(trialId(params, { ...DEFAULT_DATASET_LIMITS, test_limit: 9999 })).not.toBe('5083c1396761');
  });
});
