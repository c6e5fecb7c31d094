import { describe, expect, it } from 'vitest';
import { unitPointOf, searchSpaceOf } from './search/search-space.js';
import { expandSweep } from './sweep-expand.js';
import { sweepId } from './sweep-id.js';
import { parseSweepText } from './sweep-parse.js';
import {
  computeSuggestion, outcomeAfterRung, searchPayloadOf, searchPolicyOf, seenOf, type SeenTrial, type SuggestionEntry,
} from './suggestion-record.js';

/**
 * The pure side of the suggestion record: what a worker records after a rung decision, what a
 * sampler sees of it, and how that reaches TPE and bayes.
 */

const PSNR = { name: 'psnr', goal: 'maximize' } as const;

describe('outcomeAfterRung', () => {
  it('records a paused trial as paused and one that goes on as running, each with its value at the rung; nothing for a stopped one', () => {
    expect(outcomeAfterRung('paused', 14.5, 3)).toEqual({ state: 'paused', value: 14.5, epoch: 3 });
    expect(outcomeAfterRung('continue', 16.2, 1)).toEqual({ state: 'running', value: 16.2, epoch: 1 });
    expect(outcomeAfterRung('stopped', 12, 3)).toBeUndefined();
  });
});

describe('seenOf', () => {
  it('sees a running trial past a rung as pending with its oriented value and epoch; a paused one as cut there', () => {
    expect(seenOf('t', { state: 'running', value: 16.2, epoch: 1 }, PSNR)).toEqual({ trial: 't', state: 'pending', loss: -16.2, pruned_at: 1 });
    expect(seenOf('t', { state: 'running', value: 0.04, epoch: 3 }, { name: 'val_loss', goal: 'minimize' })).toEqual({ trial: 't', state: 'pending', loss: 0.04, pruned_at: 3 });
    expect(seenOf('t', { state: 'paused', value: 14.5, epoch: 3 }, PSNR)).toEqual({ trial: 't', state: 'completed', loss: -14.5, pruned_at: 3 });
    expect(seenOf('t', { state: 'completed', value: 17, epoch: 9 }, PSNR)).toEqual({ trial: 't', state: 'completed', loss: -17 });
    expect(seenOf('t', undefined, PSNR)).toEqual({ trial: 't', state: 'pending' });
    // A running record without a usable value is just running.
    expect(seenOf('t', { state: 'running', value: Number.NaN, epoch: 1 }, PSNR)).toEqual({ trial: 't', state: 'pending' });
  });
});

describe('computeSuggestion with trials running past a rung', () => {
  const policyOf = (method: 'tpe' | 'bayes') => searchPolicyOf(searchPayloadOf(parseSweepText([
    'name: rung knowledge',
    `method: ${method}`,
    'metric: {name: psnr, goal: maximize}',
    'run_cap: 30',
    'parameters:',
    '  learning_rate: {distribution: log_uniform_values, min: 0.0001, max: 0.1}',
    '  batch_size: {values: [32, 64, 128, 256]}',
    '',
  ].join('\n'), 'rung.yaml')), 'test');
  /** A made-up PSNR that peaks at lr 3e-3. */
  const psnrOf = (lr: number) => 20 - (Math.log10(lr) + 2.5) ** 2;

  /**
   * 14 suggestions, each seeing every earlier one paused at the first rung (epoch 1), as in
   * an ASHA sweep; then the last three seen three ways at the second rung (epoch 3).
   */
  function history(method: 'tpe' | 'bayes'): { entries: SuggestionEntry[]; seen: Record<'running' | 'paused' | 'pending', SeenTrial[]> } {
    const policy = policyOf(method);
    const entries: SuggestionEntry[] = [];
    const done = (e: SuggestionEntry): SeenTrial => seenOf(e.trial.id, { state: 'paused', value: psnrOf(e.trial.params.learning_rate), epoch: 1 }, PSNR);
    for (let i = 0; i < 14; i++) {
      const seen = entries.map(done);
      const trial = computeSuggestion(policy, 'rung-knowledge', entries, seen)!;
      entries.push({ index: i, slot: i, trial, seen, at: '' });
    }
    const last = (f: (e: SuggestionEntry) => SeenTrial) => entries.map((e, i) => (i >= 11 ? f(e) : done(e)));
    const value = (e: SuggestionEntry) => psnrOf(e.trial.params.learning_rate) + 1;
    return {
      entries,
      seen: {
        running: last((e) => seenOf(e.trial.id, { state: 'running', value: value(e), epoch: 3 }, PSNR)),
        paused: last((e) => seenOf(e.trial.id, { state: 'paused', value: value(e), epoch: 3 }, PSNR)),
        pending: last((e) => seenOf(e.trial.id, undefined, PSNR)),
      },
    };
  }

  it('tpe learns from their values at the rung, as from trials paused there (they got furthest: they lead)', () => {
    const { entries, seen } = history('tpe');
    const next = (s: SeenTrial[]) => computeSuggestion(policyOf('tpe'), 'rung-knowledge', entries, s);
    expect(next(seen.running)).toEqual(next(seen.paused));
    expect(next(seen.running)).not.toEqual(next(seen.pending));
  });

  it('bayes fills them in with its own prediction, as W&B does with running runs: their values change nothing', () => {
    const { entries, seen } = history('bayes');
    const next = (s: SeenTrial[]) => computeSuggestion(policyOf('bayes'), 'rung-knowledge', entries, s);
    expect(next(seen.running)).toEqual(next(seen.pending));
    expect(next(seen.running)).not.toEqual(next(seen.paused));
  });
});

describe('computeSuggestion before the model takes over', () => {
  const ALL_KINDS = [
    'parameters:',
    '  learning_rate: {distribution: log_uniform_values, min: 0.0001, max: 0.1}',
    '  batch_size: {distribution: q_uniform, min: 32, max: 256, q: 32}',
    '  noise_factor: {distribution: uniform, min: 0.1, max: 0.7}',
    '  epochs: {distribution: int_uniform, min: 1, max: 9}',
    '  filters: {values: [[8, 16], [16, 32], [32, 64]]}',
    '  seed: {values: [0, 1, 2]}',
  ];
  const file = (method: string, seed: string) => [`name: startup ${seed ? 'seeded' : 'default'}`, `method: ${method}`, 'metric: {name: psnr, goal: maximize}', 'run_cap: 12', seed, ...ALL_KINDS, ''].join('\n');
  /** n suggestions in a row, each seeing the earlier ones still running (the model never starts). */
  function firstSuggestions(method: 'tpe' | 'bayes', seed: string, n: number) {
    const spec = parseSweepText(file(method, seed), 's.yaml');
    const policy = searchPolicyOf(searchPayloadOf(spec), 'test');
    const entries: SuggestionEntry[] = [];
    for (let i = 0; i < n; i++) {
      const seen = entries.map((e) => seenOf(e.trial.id, undefined, PSNR));
      entries.push({ index: i, slot: i, trial: computeSuggestion(policy, sweepId(spec), entries, seen)!, seen, at: '' });
    }
    return { policy, trials: entries.map((e) => e.trial) };
  }

  it('tpe and bayes begin with random search\'s trials of the same sweep and search_seed (given or not), inside their own space', () => {
    for (const seed of ['', 'search_seed: 7']) {
      const random = expandSweep(parseSweepText(file('random', seed), 's.yaml'));
      for (const method of ['tpe', 'bayes'] as const) {
        const { policy, trials } = firstSuggestions(method, seed, 10);
        expect(trials, `${method} ${seed || 'without search_seed'}`).toEqual(random.slice(0, 10));
        const space = searchSpaceOf(policy.parameters);
        for (const t of trials) expect(unitPointOf(space, t.params), JSON.stringify(t.params)).toBeDefined();
      }
    }
    // Another search_seed, other trials.
    expect(firstSuggestions('tpe', 'search_seed: 8', 3).trials).not.toEqual(firstSuggestions('tpe', 'search_seed: 7', 3).trials);
  });

  it('a random search trial already taken by the model is not suggested twice: a fresh draw replaces it', () => {
    const spec = parseSweepText(file('tpe', ''), 's.yaml');
    const policy = searchPolicyOf(searchPayloadOf(spec), 'test');
    const random = expandSweep(parseSweepText(file('random', ''), 's.yaml'));
    // Suggestion 1 of the record is random search's trial 2; suggestion 2 would be it again.
    const entries: SuggestionEntry[] = [random[0]!, random[2]!].map((trial, i) => ({ index: i, slot: i, trial, seen: [], at: '' }));
    const next = computeSuggestion(policy, sweepId(spec), entries, entries.map((e) => seenOf(e.trial.id, undefined, PSNR)))!;
    expect([random[0]!.id, random[2]!.id]).not.toContain(next.id);
  });
});
