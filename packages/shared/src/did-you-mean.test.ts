import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance } from './did-you-mean.js';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and adjacent transpositions as one edit', () => {
    expect(editDistance('epochs', 'epochs')).toBe(0);
    expect(editDistance('epoch', 'epochs')).toBe(1);
    expect(editDistance('epochss', 'epochs')).toBe(1);
    expect(editDistance('epocks', 'epochs')).toBe(1);
    expect(editDistance('nosie_factor', 'noise_factor')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });
});

describe('didYouMean', () => {
  const keys = ['noise_factor', 'filters', 'epochs', 'batch_size', 'learning_rate', 'seed'];
  it('suggests the closest key for a typo', () => {
    expect(didYouMean('nosie_factor', keys)).toBe('noise_factor');
    expect(didYouMean('learning_rat', keys)).toBe('learning_rate');
    expect(didYouMean('batchsize', keys)).toBe('batch_size');
    expect(didYouMean('Epochs', keys)).toBe('epochs');
    expect(didYouMean('filter', keys)).toBe('filters');
  });
  it('stays quiet when nothing is close', () => {
    expect(didYouMean('momentum', keys)).toBeUndefined();
    expect(didYouMean('xy', ['ab'])).toBeUndefined();
  });
});
