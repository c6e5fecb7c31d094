import { describe, expect, it } from 'vitest';
import { SweepSpecError } from './errors.js';
import { expandSweep } from './sweep-expand.js';
import { parseSweepText } from './sweep-parse.js';

/** The rendered issue lines of an invalid text (the summary line dropped). */
function problems(text: string): string[] {
  try {
    parseSweepText(text, 'sweep.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(SweepSpecError);
    const e = error as SweepSpecError;
    expect(e.message.split('\n')[0]).toMatch(/^Invalid sweep input \(\d+ problems? in sweep\.yaml\):$/);
    return e.message.split('\n').slice(1);
  }
  throw new Error('expected the text to be refused');
}

const head = 'name: t\nmethod: grid\n';

describe('parseSweepText: valid files', () => {
  it('fills in every default', () => {
    const spec = parseSweepText(`${head}parameters: {}\n`, 'sweep.yaml');
    expect(spec).toEqual({
      name: 't',
      method: 'grid',
      metric: { name: 'val_loss', goal: 'minimize' },
      dataset: { train_limit: 60_000, test_limit: 10_000 },
      keep_checkpoints: 'best',
      parameters: {
        noise_factor: { kind: 'values', values: [0.5] },
        filters: { kind: 'values', values: [[32, 64, 128]] },
        epochs: { kind: 'values', values: [50] },
        batch_size: { kind: 'values', values: [256] },
        learning_rate: { kind: 'values', values: [0.001] },
        seed: { kind: 'values', values: [0] },
      },
    });
  });

  it('reads keep_checkpoints, which leaves the trial ids as they are', () => {
    const parse = (extra: string) => parseSweepText(`${head}${extra}parameters:\n  seed: {values: [1, 2]}\n`, 'f');
    expect(parse('keep_checkpoints: latest\n').keep_checkpoints).toBe('latest');
    expect(parse('keep_checkpoints: all\n').keep_checkpoints).toBe('all');
    expect(parse('keep_checkpoints: best\n').keep_checkpoints).toBe('best');
    const ids = (spec: ReturnType<typeof parse>) => expandSweep(spec).map((t) => t.id);
    expect(ids(parse('keep_checkpoints: all\n'))).toEqual(ids(parse('')));
    expect(ids(parse('keep_checkpoints: latest\n'))).toEqual(ids(parse('')));
  });

  it('picks the metric goal from the metric name when it is left out', () => {
    const goal = (name: string): string => parseSweepText(`${head}metric: {name: ${name}}\nparameters: {}\n`, 'f').metric.goal;
    expect(goal('val_loss')).toBe('minimize');
    expect(goal('psnr')).toBe('maximize');
    expect(goal('ssim')).toBe('maximize');
    expect(parseSweepText(`${head}metric: {name: psnr, goal: minimize}\nparameters: {}\n`, 'f').metric.goal).toBe('minimize');
  });

  it('reads YAML 1.2 numbers and normalises filters', () => {
    const spec = parseSweepText(
      `${head}description: hi\nrun_cap: 3\ndataset: {train_limit: 100}\nparameters:\n`
      + '  learning_rate: {values: [1e-3, 0.01]}\n  filters: {values: [16, [8], [4, 8, 16, 32, 64]]}\n',
      'f',
    );
    expect(spec.parameters.learning_rate).toEqual({ kind: 'values', values: [0.001, 0.01] });
    expect(spec.parameters.filters.values).toEqual([[16, 32, 64], [8], [4, 8, 16, 32, 64]]);
    expect(spec.dataset).toEqual({ train_limit: 100, test_limit: 10_000 });
    expect(spec.description).toBe('hi');
    expect(spec.run_cap).toBe(3);
  });

  it('reads distributions for random search', () => {
    const spec = parseSweepText(
      'name: r\nmethod: random\nrun_cap: 5\nparameters:\n'
      + '  noise_factor: {distribution: q_uniform, min: 0, max: 1, q: 0.25}\n'
      + '  batch_size: {distribution: q_uniform, min: 32, max: 256}\n'
      + '  learning_rate: {distribution: log_uniform_values, min: 1e-5, max: 1e-1}\n',
      'f',
    );
    expect(spec.parameters.noise_factor).toEqual({ kind: 'distribution', distribution: 'q_uniform', min: 0, max: 1, q: 0.25 });
    expect(spec.parameters.batch_size).toEqual({ kind: 'distribution', distribution: 'q_uniform', min: 32, max: 256, q: 1 });
    expect(spec.parameters.learning_rate).toEqual({ kind: 'distribution', distribution: 'log_uniform_values', min: 1e-5, max: 0.1 });
  });
});

describe('parseSweepText: every problem with file, key path, line and column', () => {
  it('reports wrong types and out-of-range values at the exact element', () => {
    expect(problems(`${head}parameters:\n  epochs: {values: [1, 2.5, "3"]}\n  noise_factor:\n    values:\n      - 0.1\n      - -1\n`)).toEqual([
      'sweep.yaml:4:24: parameters.epochs.values[1]: must be an integer from 1 to 1000; found 2.5',
      'sweep.yaml:4:29: parameters.epochs.values[2]: must be an integer from 1 to 1000; found the string "3"',
      'sweep.yaml:8:9: parameters.noise_factor.values[1]: must be a number from 0 to 2; found -1',
    ]);
  });

  it('reports bad widths inside a filters setting by both indices', () => {
    expect(problems(`${head}parameters:\n  filters: {values: [[8, 0], 257, [1, 2, 3, 4, 5, 6], true]}\n`)).toEqual([
      'sweep.yaml:4:26: parameters.filters.values[0][1]: must be an integer from 1 to 1024; found 0',
      'sweep.yaml:4:30: parameters.filters.values[1]: must be a list of 1 to 5 widths (an integer from 1 to 1024) '
        + 'or one width w from 1 to 256 meaning [w, 2w, 4w]; found 257',
      'sweep.yaml:4:35: parameters.filters.values[2]: must be a list of 1 to 5 widths, each an integer from 1 to 1024; found a list of 6',
      'sweep.yaml:4:55: parameters.filters.values[3]: must be a list of 1 to 5 widths (an integer from 1 to 1024) '
        + 'or one width w from 1 to 256 meaning [w, 2w, 4w]; found true',
    ]);
  });

  it('checks every bound', () => {
    const one = (param: string, value: string): string => problems(`${head}parameters:\n  ${param}: {value: ${value}}\n`)[0] ?? '';
    expect(one('noise_factor', '2.01')).toContain('parameters.noise_factor.value: must be a number from 0 to 2; found 2.01');
    expect(one('epochs', '1001')).toContain('must be an integer from 1 to 1000; found 1001');
    expect(one('batch_size', '4097')).toContain('must be an integer from 1 to 4096; found 4097');
    expect(one('learning_rate', '0')).toContain('must be a number greater than 0 and at most 1; found 0');
    expect(one('learning_rate', '1.5')).toContain('found 1.5');
    expect(one('seed', '-1')).toContain('parameters.seed.value: must be an integer of at least 0');
    expect(one('seed', '0.5')).toContain('found 0.5');
    expect(one('noise_factor', '.nan')).toContain('found .nan');
    expect(one('noise_factor', 'null')).toContain('found nothing (empty value)');
    // At the bounds themselves everything is fine.
    expect(() => parseSweepText(`${head}parameters:\n  noise_factor: {values: [0, 2]}\n  epochs: {values: [1, 1000]}\n`
      + '  batch_size: {values: [1, 4096]}\n  learning_rate: {value: 1}\n  seed: {value: 9007199254740991}\n'
      + '  filters: {values: [[1], [1024, 1024, 1024, 1024, 1024], 256]}\n', 'f')).not.toThrow();
  });

  it('checks dataset limits and run_cap', () => {
    expect(problems(`${head}run_cap: 1.5\ndataset:\n  train_limit: 60001\n  test_limit: 0\nparameters: {}\n`)).toEqual([
      'sweep.yaml:3:10: run_cap: must be an integer from 1 to 10000; found 1.5',
      'sweep.yaml:5:16: dataset.train_limit: must be an integer from 1 to 60000; found 60001',
      'sweep.yaml:6:15: dataset.test_limit: must be an integer from 1 to 10000; found 0',
    ]);
  });

  it('refuses unknown keys at every level with did-you-mean, pointing at the key', () => {
    expect(problems(
      'name: t\nmethod: grid\nmetrc: {}\nmetric: {nmae: psnr}\ndataset: {test_limits: 5}\n'
      + 'parameters:\n  epoch: {value: 1}\n  seed: {valeus: [1]}\n',
    )).toEqual([
      'sweep.yaml:3:1: metrc: unknown key; did you mean "metric"? allowed here: name, description, method, metric, parameters, run_cap, dataset, keep_checkpoints, search_seed, early_terminate',
      'sweep.yaml:4:10: metric.nmae: unknown key; did you mean "name"? allowed here: name, goal',
      'sweep.yaml:5:11: dataset.test_limits: unknown key; did you mean "test_limit"? allowed here: train_limit, test_limit',
      'sweep.yaml:7:3: parameters.epoch: unknown key; did you mean "epochs"? '
        + 'allowed here: noise_factor, filters, epochs, batch_size, learning_rate, seed',
      'sweep.yaml:8:9: parameters.seed: must have one of value, values or distribution (e.g. seed: {value: 0}); found none',
      'sweep.yaml:8:10: parameters.seed.valeus: unknown key; did you mean "values"? allowed here: value, values, distribution, min, max, q',
    ]);
  });

  it('suggests the right word for near-miss values', () => {
    expect(problems('name: t\nmethod: randm\nparameters: {}\n')[0])
      .toBe('sweep.yaml:2:9: method: must be one of grid, random, bayes, tpe; did you mean "random"? found the string "randm"');
    expect(problems(`${head}metric: {name: ssmi, goal: maximise}\nparameters: {}\n`)).toEqual([
      'sweep.yaml:3:16: metric.name: must be one of val_loss, psnr, ssim; did you mean "ssim"? found the string "ssmi"',
    ]);
    expect(problems(`${head}metric: {name: ssim, goal: maximise}\nparameters: {}\n`)).toEqual([
      'sweep.yaml:3:28: metric.goal: must be one of minimize, maximize; did you mean "maximize"? found the string "maximise"',
    ]);
    expect(problems(`${head}keep_checkpoints: lastest\nparameters: {}\n`)).toEqual([
      'sweep.yaml:3:19: keep_checkpoints: must be one of best, latest, all; did you mean "latest"? found the string "lastest"',
    ]);
    expect(problems(`${head}keep_checkpoints: 3\nparameters: {}\n`)).toEqual([
      'sweep.yaml:3:19: keep_checkpoints: must be one of best, latest, all; found 3',
    ]);
    expect(problems('name: t\nmethod: random\nrun_cap: 2\nparameters:\n  noise_factor: {distribution: unifrom, min: 0, max: 1}\n')[0])
      .toContain('parameters.noise_factor.distribution: must be one of uniform, int_uniform, log_uniform_values, q_uniform; did you mean "uniform"?');
  });

  it('reports missing required keys and wrong shapes', () => {
    expect(problems('description: x\n')).toEqual([
      'sweep.yaml:1:1: name: is required (see examples/sweep.yaml)',
      'sweep.yaml:1:1: method: is required (see examples/sweep.yaml)',
      'sweep.yaml:1:1: parameters: is required (see examples/sweep.yaml)',
    ]);
    expect(problems('just a string\n')).toEqual([
      'sweep.yaml:1:1: must be a mapping with at least name, method, parameters; found the string "just a string"',
    ]);
    expect(problems(`${head}parameters: [epochs]\n`)[0]).toContain('sweep.yaml:3:13: parameters: must be a mapping of parameter names');
    expect(problems(`${head}metric: psnr\nparameters: {}\n`)[0]).toContain('sweep.yaml:3:9: metric: must be a mapping like {name: val_loss, goal: minimize}');
    expect(problems(`${head}parameters:\n  epochs: 5\n`)[0]).toContain('parameters.epochs: must be a mapping with one of value, values or distribution');
    expect(problems(`${head}parameters:\n  epochs: {values: []}\n`)[0]).toContain('parameters.epochs.values: must be a non-empty list');
    expect(problems(`${head}parameters:\n  epochs: {values: 5}\n`)[0]).toContain('parameters.epochs.values: must be a non-empty list of numbers; found 5'.replace('; found 5', ''));
    expect(problems(`${head}parameters:\n  epochs: {value: 1, values: [2]}\n`)[0]).toContain('must have exactly one of value, values or distribution; found value and values');
    expect(problems(`${head}parameters:\n  epochs: {value: 1, min: 2}\n`)[0]).toContain('sweep.yaml:4:22: parameters.epochs.min: only applies with distribution');
  });

  it('checks the name makes a safe sweep id', () => {
    expect(problems('name: a/b\nmethod: grid\nparameters: {}\n')[0]).toContain('sweep.yaml:1:7: name: must not contain "/"');
    expect(problems('name: "..."\nmethod: grid\nparameters: {}\n')[0]).toContain('name: must not contain');
    expect(problems('name: "***"\nmethod: grid\nparameters: {}\n')[0]).toContain('name: must contain at least one letter or digit');
    expect(problems('name: 42\nmethod: grid\nparameters: {}\n')[0]).toContain('name: must be a string; found 42');
  });

  it('checks distributions', () => {
    const random = (param: string): string[] => problems(`name: r\nmethod: random\nrun_cap: 2\nparameters:\n  ${param}\n`);
    expect(random('epochs: {distribution: int_uniform, min: 1}')[0]).toContain('sweep.yaml:5:11: parameters.epochs.max: is required with distribution');
    expect(random('epochs: {distribution: int_uniform, min: 5, max: 5}')[0]).toContain('parameters.epochs.max: must be greater than min (5); found 5');
    expect(random('noise_factor: {distribution: int_uniform, min: 0.5, max: 2}')[0]).toContain('parameters.noise_factor.min: must be an integer for int_uniform; found 0.5');
    expect(random('noise_factor: {distribution: log_uniform_values, min: 0, max: 1}')[0]).toContain('parameters.noise_factor.min: must be greater than 0 for log_uniform_values');
    expect(random('noise_factor: {distribution: uniform, min: 0, max: 1, q: 0.1}')[0]).toContain('parameters.noise_factor.q: only applies to distribution: q_uniform');
    expect(random('epochs: {distribution: q_uniform, min: 1, max: 10, q: 2.5}')[0]).toContain('parameters.epochs.q: must be an integer greater than 0');
    expect(random('noise_factor: {distribution: q_uniform, min: 0.1, max: 0.2, q: 0.5}')[0]).toContain('parameters.noise_factor.q: must have a multiple between min (0.1) and max (0.2)');
    expect(random('epochs: {distribution: log_uniform_values, min: 1, max: 10}')[0]).toContain('must be one of int_uniform, q_uniform; epochs is an integer');
    expect(random('learning_rate: {distribution: log_uniform, min: -9, max: -2}')[0]).toContain("W&B's log_uniform takes min/max as natural logs");
    expect(random('filters: {distribution: int_uniform, min: 8, max: 64}')[0]).toContain('parameters.filters.distribution: is not available for filters');
    expect(problems(`${head}parameters:\n  learning_rate: {distribution: uniform, min: 0.1, max: 0.2}\n`)[0])
      .toBe('sweep.yaml:4:19: parameters.learning_rate.distribution: is only allowed with method: random, bayes or tpe; a grid takes value or values');
  });

  it('requires run_cap for random search and checks it fits the space', () => {
    expect(problems('name: r\nmethod: random\nparameters: {}\n')).toEqual([
      'sweep.yaml:2:9: run_cap: is required with method: random (the number of trials to sample, e.g. run_cap: 20)',
    ]);
    expect(problems('name: r\nmethod: random\nrun_cap: 7\nparameters:\n  seed: {values: [1, 2, 2.0]}\n  epochs: {distribution: int_uniform, min: 1, max: 3}\n')).toEqual([
      'sweep.yaml:3:10: run_cap: must be at most 6, the number of distinct trials this search space holds (epochs 3 x seed 2); '
        + 'found 7: lower run_cap or widen the parameters',
    ]);
  });

  it('refuses a grid over 10,000 trials unless run_cap is given', () => {
    const values = `{values: [${Array.from({ length: 101 }, (_, i) => i + 1).join(', ')}]}`;
    const text = `${head}parameters:\n  epochs: ${values}\n  batch_size: ${values}\n`;
    expect(problems(text)).toEqual([
      'sweep.yaml:4:3: parameters: make a grid of 10,201 trials (epochs 101 x batch_size 101), more than the 10,000 allowed: '
        + 'add run_cap: N to take the first N trials, or narrow the values',
    ]);
    expect(parseSweepText(`${text}run_cap: 10\n`, 'f').run_cap).toBe(10);
    const exactly = `{values: [${Array.from({ length: 100 }, (_, i) => i + 1).join(', ')}]}`;
    expect(() => parseSweepText(`${head}parameters:\n  epochs: ${exactly}\n  batch_size: ${exactly}\n`, 'f')).not.toThrow();
  });
});

describe('parseSweepText: YAML-level problems', () => {
  it('reports syntax errors with their position', () => {
    const [first] = problems(`${head}parameters:\n  epochs: {values: [1, 2}\n`);
    expect(first).toMatch(/^sweep\.yaml:4:\d+: YAML syntax error: /);
  });

  it('refuses duplicate keys, naming the key path', () => {
    expect(problems(`${head}parameters:\n  seed: {value: 1}\n  seed: {value: 2}\n`)).toEqual([
      'sweep.yaml:5:3: parameters.seed: duplicate key: each key may appear only once in a mapping',
    ]);
    expect(problems(`${head}name: u\nparameters: {}\n`)).toEqual([
      'sweep.yaml:3:1: name: duplicate key: each key may appear only once in a mapping',
    ]);
  });

  it('refuses several documents, unknown tags and unresolved aliases', () => {
    expect(problems(`${head}parameters: {}\n---\nname: b\n`)[0]).toContain('multiple documents');
    expect(problems(`${head}parameters: {seed: {value: !secret 1}}\n`)[0]).toContain('Unresolved tag: !secret');
    expect(problems(`${head}parameters: {seed: {value: !!binary AAAA}}\n`)[0]).toContain('found binary data');
    expect(problems(`${head}parameters: {seed: *x}\n`)[0]).toContain('Unresolved alias');
  });

  it('refuses empty documents', () => {
    expect(problems('')).toEqual(['sweep.yaml:1:1: is empty: a sweep needs at least name, method and parameters (see examples/sweep.yaml)']);
    expect(problems('# only a comment\n\n')[0]).toContain('is empty');
  });

  it('refuses alias bombs without expanding them', () => {
    let bomb = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 12; i++) bomb += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
    const started = Date.now();
    expect(problems(`${head}parameters: {}\n${bomb}`)).toEqual([
      'sweep.yaml: expands too many YAML aliases (more than 100; an "alias bomb"?): refusing it',
    ]);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('accepts a few aliases', () => {
    const spec = parseSweepText(`${head}parameters:\n  epochs: {values: &v [1, 2]}\n  seed: {values: *v}\n`, 'f');
    expect(spec.parameters.seed).toEqual({ kind: 'values', values: [1, 2] });
  });

  it('lists at most 50 problems in the message but keeps them all', () => {
    const bad = `{values: [${Array(120).fill('0').join(', ')}]}`;
    let error: unknown;
    try {
      parseSweepText(`${head}parameters:\n  epochs: ${bad}\n`, 'sweep.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SweepSpecError);
    const e = error as SweepSpecError;
    expect(e.issues).toHaveLength(120);
    const lines = e.message.split('\n');
    expect(lines[0]).toBe('Invalid sweep input (120 problems in sweep.yaml):');
    expect(lines).toHaveLength(52);
    expect(lines.at(-1)).toBe('... and 70 more');
  });

  it('refuses documents over 1 MiB', () => {
    expect(problems(`${head}parameters: {}\n${'#'.repeat(1024 * 1024)}\n`)).toEqual([
      'sweep.yaml: is too big: sweep files are limited to 1 MiB',
    ]);
  });
});
