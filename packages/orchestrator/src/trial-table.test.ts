import type { Trial } from '@denoise-sweep/shared';
import { describe, expect, it } from 'vitest';
import { formatTrialTable } from './trial-table.js';

const trial = (id: string, noise: number, filters: number[], lr: number): Trial => ({
  id,
  params: { noise_factor: noise, filters, epochs: 10, batch_size: 256, learning_rate: lr, seed: 3 },
  dataset: { train_limit: 100, test_limit: 10 },
});

describe('formatTrialTable', () => {
  it('pads columns, numbers to the right', () => {
    expect(formatTrialTable([trial('aaaaaaaaaaaa', 0.5, [32, 64, 128], 0.001), trial('bbbbbbbbbbbb', 1.25, [8], 1e-7)])).toBe(
      'id            noise  filters    epochs  batch     lr  seed\n'
      + 'aaaaaaaaaaaa    0.5  32,64,128      10    256  0.001     3\n'
      + 'bbbbbbbbbbbb   1.25  8              10    256   1e-7     3\n',
    );
  });
  it('prints just the header for no trials', () => {
    expect(formatTrialTable([])).toBe('id  noise  filters  epochs  batch  lr  seed\n');
  });
});
