import { checkEarlyTerminate, rungsOf, strictFinishers } from './early-terminate.js';
import type { IssueList } from './issue-list.js';
import { checkSweepSize, searchSpaceSize } from './sweep-expand.js';
import { checkSweepName } from './sweep-id.js';
import { checkParameters } from './sweep-parameters.js';
import {
  DEFAULT_KEEP_CHECKPOINTS, DEFAULT_METRIC, DEFAULT_METRIC_GOAL, KEEP_CHECKPOINTS, MAX_TRIALS, METRIC_GOALS, METRIC_NAMES,
  SWEEP_METHODS, isAdaptiveMethod,
  type SweepMetric, type SweepParameters, type SweepSpec,
} from './sweep-spec.js';
import { DATASET_BOUNDS, DEFAULT_DATASET_LIMITS, type DatasetLimits } from './trial.js';

const TOP_LEVEL_KEYS = [
  'name', 'description', 'method', 'metric', 'parameters', 'run_cap', 'dataset', 'keep_checkpoints', 'search_seed', 'early_terminate',
] as const;
const REQUIRED_KEYS = ['name', 'method', 'parameters'] as const;
const MAX_DESCRIPTION_LENGTH = 10_000;
const UNSUPPORTED = 'is a Weights & Biases key this tool does not use; ';
const TOP_LEVEL_HINTS: Readonly<Record<string, string>> = {
  program: UNSUPPORTED,
  command: UNSUPPORTED,
  entity: UNSUPPORTED,
  project: UNSUPPORTED,
  seed: 'the sampler\'s seed is search_seed (a trial\'s seed is parameters.seed); ',
};
const METHOD_HINTS: Readonly<Record<string, string>> = {
  custom: 'custom schedulers are not supported; tpe is Optuna\'s default sampler',
  bayesian: 'the method is called bayes',
};
const KEEP_CHECKPOINTS_HINTS: Readonly<Record<string, string>> = {
  none: 'the newest checkpoint is always kept, resume needs it; latest keeps only that one',
};

/**
 * Validates a parsed sweep document (plain JSON-like data) and fills in the defaults.
 * Every problem is recorded in `issues` with its key path; `spec` is set only if there are none.
 */
export function checkSweepObject(value: unknown, issues: IssueList): SweepSpec | undefined {
  const obj = issues.mapping(value, [], `a mapping with at least ${REQUIRED_KEYS.join(', ')}`);
  if (obj === undefined) return undefined;
  issues.unknownKeys(obj, [], TOP_LEVEL_KEYS, TOP_LEVEL_HINTS);
  for (const key of REQUIRED_KEYS) {
    if (!Object.hasOwn(obj, key)) issues.add([key], 'is required (see examples/sweep.yaml)');
  }
  const name = Object.hasOwn(obj, 'name') ? checkName(obj.name, issues) : undefined;
  const description = Object.hasOwn(obj, 'description') ? checkDescription(obj.description, issues) : undefined;
  const method = Object.hasOwn(obj, 'method') ? issues.choice(obj.method, ['method'], SWEEP_METHODS, METHOD_HINTS) : undefined;
  const metric = Object.hasOwn(obj, 'metric') ? checkMetric(obj.metric, issues) : { ...DEFAULT_METRIC };
  const parameters = Object.hasOwn(obj, 'parameters') ? checkParameters(obj.parameters, method, issues) : undefined;
  const runCap = Object.hasOwn(obj, 'run_cap')
    ? issues.number(obj.run_cap, ['run_cap'], { integer: true, min: 1, max: MAX_TRIALS })
    : undefined;
  if (method !== undefined && method !== 'grid' && !Object.hasOwn(obj, 'run_cap')) {
    issues.add(['run_cap'], `is required with method: ${method} (the number of trials to ${method === 'random' ? 'sample' : 'suggest'}, e.g. run_cap: 20)`, false, ['method']);
  }
  const adaptive = method !== undefined && isAdaptiveMethod(method);
  if ((adaptive || Object.hasOwn(obj, 'early_terminate')) && !Object.hasOwn(obj, 'metric')) {
    issues.add(['metric'], `is required with ${adaptive ? `method: ${method}` : 'early_terminate'}: the value to ${adaptive ? 'optimize' : 'compare trials by'} `
      + '(e.g. metric: {name: psnr, goal: maximize})', false, adaptive ? ['method'] : ['early_terminate']);
  }
  const searchSeed = Object.hasOwn(obj, 'search_seed')
    ? issues.number(obj.search_seed, ['search_seed'], { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER })
    : undefined;
  const earlyTerminate = Object.hasOwn(obj, 'early_terminate')
    ? checkEarlyTerminate(obj.early_terminate, parameters === undefined ? undefined : largestEpochs(parameters), issues)
    : undefined;
  if (method === 'bayes' && parameters !== undefined && !hasContinuousDimension(parameters)) {
    issues.add(['parameters'], 'must have at least one parameter with a distribution (min/max) for method: bayes, whose Gaussian process models '
      + 'continuous values; for a space of listed values only, use method: tpe or grid', false, ['method']);
  }
  const dataset = Object.hasOwn(obj, 'dataset') ? checkDataset(obj.dataset, issues) : { ...DEFAULT_DATASET_LIMITS };
  const keepCheckpoints = Object.hasOwn(obj, 'keep_checkpoints')
    ? issues.choice(obj.keep_checkpoints, ['keep_checkpoints'], KEEP_CHECKPOINTS, KEEP_CHECKPOINTS_HINTS)
    : DEFAULT_KEEP_CHECKPOINTS;
  if (!issues.isEmpty || name === undefined || method === undefined || metric === undefined
    || parameters === undefined || dataset === undefined || keepCheckpoints === undefined) {
    return undefined;
  }
  const spec: SweepSpec = { name, method, metric, parameters, dataset, keep_checkpoints: keepCheckpoints };
  if (description !== undefined) spec.description = description;
  if (runCap !== undefined) spec.run_cap = runCap;
  if (searchSeed !== undefined) spec.search_seed = searchSeed;
  if (earlyTerminate !== undefined) spec.early_terminate = earlyTerminate;
  const sizeProblem = checkSweepSize(spec);
  if (sizeProblem !== undefined) {
    issues.add(sizeProblem.path, sizeProblem.message);
    return undefined;
  }
  const strictProblem = checkStrictBudget(spec);
  if (strictProblem !== undefined) {
    issues.add(['early_terminate', 'strict'], strictProblem, false, ['run_cap']);
    return undefined;
  }
  return spec;
}

/** Strict asha passes as few as floor(n / reduction_factor) per rung: a sweep of too few trials may finish none. */
function checkStrictBudget(spec: SweepSpec): string | undefined {
  const et = spec.early_terminate;
  if (et?.type !== 'asha' || !et.strict) return undefined;
  const size = searchSpaceSize(spec);
  // run_cap of the other methods is at most the space's size (checkSweepSize).
  const trials = Math.min(size, spec.run_cap ?? size);
  const epochs = largestEpochs(spec.parameters);
  const rungs = rungsOf(et, epochs)[0]?.length ?? 0;
  if (strictFinishers(et, trials, rungs) >= 1) return undefined;
  let needed = trials;
  while (strictFinishers(et, needed, rungs) < 1) needed += 1;
  return `can end with no trial of ${epochs} epochs finished: ${trials} trial(s) reach the first of ${rungs} rung(s), and a rung passes `
    + `as few as floor(n / ${et.reduction_factor}) of the n trials that reach it; run at least ${needed} trials (run_cap), or set strict: false`;
}

/** The largest epochs a trial of the sweep may train. */
function largestEpochs(parameters: SweepParameters): number {
  const domain = parameters.epochs;
  return domain.kind === 'values' ? Math.max(...domain.values) : domain.max;
}

function hasContinuousDimension(parameters: SweepParameters): boolean {
  return Object.values(parameters).some((domain) => domain.kind === 'distribution');
}

function checkName(value: unknown, issues: IssueList): string | undefined {
  const name = issues.string(value, ['name']);
  if (name === undefined) return undefined;
  const problem = checkSweepName(name);
  if (problem === undefined) return name;
  issues.add(['name'], problem);
  return undefined;
}

function checkDescription(value: unknown, issues: IssueList): string | undefined {
  const text = issues.string(value, ['description']);
  if (text !== undefined && text.length > MAX_DESCRIPTION_LENGTH) {
    issues.add(['description'], `must be at most ${MAX_DESCRIPTION_LENGTH} characters; found ${text.length}`);
    return undefined;
  }
  return text;
}

function checkMetric(value: unknown, issues: IssueList): SweepMetric | undefined {
  const obj = issues.mapping(value, ['metric'], 'a mapping like {name: val_loss, goal: minimize}');
  if (obj === undefined) return undefined;
  issues.unknownKeys(obj, ['metric'], ['name', 'goal']);
  const name = Object.hasOwn(obj, 'name') ? issues.choice(obj.name, ['metric', 'name'], METRIC_NAMES) : DEFAULT_METRIC.name;
  if (name === undefined) return undefined;
  if (!Object.hasOwn(obj, 'goal')) return { name, goal: DEFAULT_METRIC_GOAL[name] };
  const goal = issues.choice(obj.goal, ['metric', 'goal'], METRIC_GOALS);
  return goal === undefined ? undefined : { name, goal };
}

function checkDataset(value: unknown, issues: IssueList): DatasetLimits | undefined {
  const obj = issues.mapping(value, ['dataset'], 'a mapping like {train_limit: 60000, test_limit: 10000}');
  if (obj === undefined) return undefined;
  const keys = ['train_limit', 'test_limit'] as const;
  issues.unknownKeys(obj, ['dataset'], keys);
  const out = { ...DEFAULT_DATASET_LIMITS };
  let ok = true;
  for (const key of keys) {
    if (!Object.hasOwn(obj, key)) continue;
    const v = issues.number(obj[key], ['dataset', key], DATASET_BOUNDS[key]);
    if (v === undefined) ok = false;
    else out[key] = v;
  }
  return ok ? out : undefined;
}
