import { describe, expect, it } from 'vitest';
import { SweepSpecError } from './errors.js';
import { passesRung, rungsOf, trialRungs, type EarlyTerminate } from './early-terminate.js';
import { parseSweepText } from './sweep-parse.js';

const sweep = (extra: string, method = 'grid', epochs = '{value: 9}') =>
  `name: t\nmethod: ${method}\nmetric: {name: psnr, goal: maximize}\n${method === 'grid' ? '' : 'run_cap: 4\n'}${extra}\nparameters:\n  epochs: ${epochs}\n  learning_rate: {distribution: log_uniform_values, min: 0.0001, max: 0.01}\n`;

function problems(text: string): string[] {
  try {
    parseSweepText(text, 'sweep.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(SweepSpecError);
    return (error as SweepSpecError).message.split('\n').slice(1);
  }
  throw new Error('expected the text to be refused');
}

describe('early_terminate in sweep.yaml', () => {
  it('fills in the defaults of asha and hyperband', () => {
    expect(parseSweepText(sweep('early_terminate: {type: asha}', 'random'), 's.yaml').early_terminate)
      .toEqual({ type: 'asha', grace_period: 1, reduction_factor: 4, max_t: 9, brackets: 1, mode: 'pause', strict: false });
    expect(parseSweepText(sweep('early_terminate: {type: hyperband, min_iter: 1}', 'random'), 's.yaml').early_terminate)
      .toEqual({ type: 'hyperband', min_iter: 1, eta: 3, strict: true, mode: 'stop' });
  });

  it('refuses malformed sections with their key paths', () => {
    expect(problems(sweep('early_terminate: {type: median}', 'random')).join('\n')).toMatch(/early_terminate\.type: must be one of hyperband, asha; median stopping is not supported/);
    expect(problems(sweep('early_terminate: {type: hyperband, min_iter: 1, eta: 1}', 'random')).join('\n')).toMatch(/early_terminate\.eta: must be greater than 1/);
    expect(problems(sweep('early_terminate: {type: hyperband}', 'random')).join('\n')).toMatch(/early_terminate: must have min_iter/);
    expect(problems(sweep('early_terminate: {type: hyperband, max_iter: 9}', 'random')).join('\n')).toMatch(/early_terminate\.s: is required with max_iter/);
    expect(problems(sweep('early_terminate: {type: asha, grace_perod: 1}', 'random')).join('\n')).toMatch(/early_terminate\.grace_perod: unknown key; did you mean "grace_period"\?/);
    expect(problems(sweep('early_terminate: {type: asha, grace_period: 9}', 'random')).join('\n')).toMatch(/early_terminate\.grace_period: must be less than max_t \(9\)/);
    expect(problems(sweep('early_terminate: {type: asha, mode: kill}', 'random')).join('\n')).toMatch(/early_terminate\.mode: must be one of stop, pause/);
    expect(problems(sweep('early_terminate: {type: hyperband, min_iter: 9}', 'random')).join('\n')).toMatch(/early_terminate: cuts nothing/);
    expect(problems(sweep('early_terminate: {type: asha, strict: yes please}', 'random')).join('\n')).toMatch(/early_terminate\.strict: must be true or false/);
    expect(problems(sweep('early_terminate: {type: asha, strict: true, mode: stop}', 'random')).join('\n')).toMatch(/early_terminate\.strict: needs mode: pause/);
    expect(problems(sweep('early_terminate: {type: asha, strict: true, brackets: 2}', 'random')).join('\n')).toMatch(/early_terminate\.strict: takes brackets: 1/);
  });

  it('strict asha: refuses a budget that would finish no trial, and says how many trials it takes', () => {
    // 9 epochs, grace 1, factor 3: rungs at 1 and 3; 4 trials -> 1 passes rung 1 -> 0 pass rung 3.
    const strict = 'early_terminate: {type: asha, grace_period: 1, reduction_factor: 3, strict: true}';
    expect(problems(sweep(strict, 'random')).join('\n'))
      .toMatch(/early_terminate\.strict: can end with no trial of 9 epochs finished: 4 trial\(s\) reach the first of 2 rung\(s\).*run at least 9 trials \(run_cap\), or set strict: false/);
    expect(parseSweepText(sweep(strict, 'random').replace('run_cap: 4', 'run_cap: 9'), 's.yaml').early_terminate).toMatchObject({ strict: true, reduction_factor: 3 });
    // A grid's trial count is its size: 3 learning rates are too few for two rungs, 9 are enough.
    const grid = (n: number) => `name: t\nmethod: grid\nmetric: {name: psnr}\n${strict}\nparameters:\n  epochs: {value: 9}\n  learning_rate: {values: [${Array.from({ length: n }, (_, i) => 0.001 * (i + 1)).join(', ')}]}\n`;
    expect(problems(grid(3)).join('\n')).toMatch(/can end with no trial of 9 epochs finished: 3 trial\(s\)/);
    expect(parseSweepText(grid(9), 's.yaml').early_terminate).toMatchObject({ strict: true });
  });

  it('asks for a metric with early termination and the adaptive methods, and for a continuous dimension with bayes', () => {
    const noMetric = (text: string) => text.replace('metric: {name: psnr, goal: maximize}\n', '');
    expect(problems(noMetric(sweep('early_terminate: {type: asha}', 'random'))).join('\n')).toMatch(/metric: is required with early_terminate/);
    expect(problems(noMetric(sweep('', 'tpe'))).join('\n')).toMatch(/metric: is required with method: tpe/);
    const categorical = 'name: t\nmethod: bayes\nmetric: {name: psnr}\nrun_cap: 2\nparameters:\n  noise_factor: {values: [0.1, 0.2, 0.3]}\n';
    expect(problems(categorical).join('\n')).toMatch(/parameters: must have at least one parameter with a distribution \(min\/max\) for method: bayes/);
    expect(problems('name: t\nmethod: tpe\nmetric: {name: psnr}\nparameters: {}\n').join('\n')).toMatch(/run_cap: is required with method: tpe/);
  });

  it('accepts bayes and tpe with a seed', () => {
    expect(parseSweepText(sweep('search_seed: 7', 'bayes'), 's.yaml')).toMatchObject({ method: 'bayes', run_cap: 4, search_seed: 7 });
    expect(problems(sweep('seed: 7', 'tpe')).join('\n')).toMatch(/seed: unknown key; the sampler's seed is search_seed/);
  });
});

describe('rungs', () => {
  const asha = (over: Partial<Extract<EarlyTerminate, { type: 'asha' }>> = {}): EarlyTerminate => ({ type: 'asha', grace_period: 1, reduction_factor: 3, max_t: 27, brackets: 1, mode: 'pause', strict: false, ...over });

  it('asha: grace * rf^k below max_t and below the trial\'s epochs; brackets start higher', () => {
    expect(rungsOf(asha(), 27)).toEqual([[1, 3, 9]]);
    expect(rungsOf(asha(), 5)).toEqual([[1, 3]]);
    expect(rungsOf(asha({ brackets: 2 }), 27)).toEqual([[1, 3, 9], [3, 9]]);
    const { bracket, rungs } = trialRungs(asha({ brackets: 2 }), '0123456789ab', 27);
    expect(rungsOf(asha({ brackets: 2 }), 27)[bracket]).toEqual(rungs);
  });

  it('hyperband: W&B bands from min_iter up, or from max_iter down with s', () => {
    expect(rungsOf({ type: 'hyperband', min_iter: 1, eta: 3, strict: true, mode: 'stop' }, 30)).toEqual([[1, 3, 9, 27]]);
    expect(rungsOf({ type: 'hyperband', max_iter: 27, s: 2, eta: 3, strict: true, mode: 'stop' }, 30)).toEqual([[3, 9]]);
  });

  it('asha passes a trial within the 1/rf quantile of the values before it; the first always passes', () => {
    const et = asha({ reduction_factor: 2 });
    expect(passesRung(et, 5, [])).toBe(true);
    expect(passesRung(et, 0.2, [0.1])).toBe(false);
    // median of [0.1, 0.3] is 0.2
    expect(passesRung(et, 0.2, [0.1, 0.3])).toBe(true);
    expect(passesRung(et, 0.21, [0.1, 0.3])).toBe(false);
  });

  it('strict asha passes the best floor(n/rf) of the n values at the rung, its own included: none before rf have arrived', () => {
    const et = asha({ reduction_factor: 3, strict: true });
    expect(passesRung(et, 0.1, [])).toBe(false);
    expect(passesRung(et, 0.1, [0.5])).toBe(false);
    expect(passesRung(et, 0.1, [0.5, 0.7])).toBe(true);
    expect(passesRung(et, 0.6, [0.5, 0.7])).toBe(false);
    // n = 6: the best two pass; a tie with the second-best passes too.
    expect(passesRung(et, 0.2, [0.1, 0.3, 0.4, 0.5, 0.6])).toBe(true);
    expect(passesRung(et, 0.3, [0.1, 0.2, 0.4, 0.5, 0.6])).toBe(false);
    expect(passesRung(et, 0.2, [0.1, 0.2, 0.4, 0.5, 0.6])).toBe(true);
  });

  it('hyperband: strict keeps the top ceil(n/eta), lenient W&B\'s floor(n/eta) + 1', () => {
    const strict: EarlyTerminate = { type: 'hyperband', min_iter: 1, eta: 3, strict: true, mode: 'stop' };
    const lenient: EarlyTerminate = { ...strict, strict: false };
    expect(passesRung(strict, 1, [])).toBe(true);
    expect(passesRung(strict, 2, [1, 3])).toBe(false);
    expect(passesRung(lenient, 2, [1, 3])).toBe(true);
    expect(passesRung(lenient, 3, [1, 2])).toBe(false);
  });
});
