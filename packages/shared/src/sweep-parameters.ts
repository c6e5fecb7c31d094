import { quantisedCount } from './distributions.js';
import type { IssueList } from './issue-list.js';
import type { KeyPath } from './key-path.js';
import { describeBound, describeFound, inBound } from './number-bounds.js';
import {
  DEFAULT_TRIAL_PARAMS, FILTER_LEVELS, FILTER_WIDTH_BOUND, NUMERIC_PARAM_NAMES, PARAM_BOUNDS, PARAM_NAMES,
  expandFilterShorthand, type NumericParamName,
} from './trial.js';
import { checkFilterList } from './trial-validate.js';
import {
  DISTRIBUTION_NAMES, type DistributionDomain, type DistributionName, type NumericDomain, type SweepMethod,
  type SweepParameters, type ValuesDomain,
} from './sweep-spec.js';

const DOMAIN_KEYS = ['value', 'values', 'distribution', 'min', 'max', 'q'] as const;
const PARAMETER_HINTS: Readonly<Record<string, string>> = {
  lr: 'did you mean "learning_rate"? ',
  noise: 'did you mean "noise_factor"? ',
};
const DISTRIBUTION_HINTS: Readonly<Record<string, string>> = {
  log_uniform: 'W&B\'s log_uniform takes min/max as natural logs; use log_uniform_values with plain min/max',
  q_log_uniform_values: 'quantised log distributions are not supported',
  categorical: 'for a choice between settings use values: [...] instead of a distribution',
  constant: 'for a fixed setting use value: ... instead of a distribution',
};
const LARGEST_SHORTHAND_WIDTH = Math.floor(FILTER_WIDTH_BOUND.max / 4);

/** Validates the `parameters:` mapping; parameters left out take their default value. */
export function checkParameters(value: unknown, method: SweepMethod | undefined, issues: IssueList): SweepParameters | undefined {
  const path = ['parameters'];
  const obj = issues.mapping(value, path, `a mapping of parameter names (${PARAM_NAMES.join(', ')}) to settings`);
  if (obj === undefined) return undefined;
  const before = issues.items.length;
  issues.unknownKeys(obj, path, PARAM_NAMES, PARAMETER_HINTS);
  const out: Partial<SweepParameters> = {};
  for (const name of NUMERIC_PARAM_NAMES) {
    out[name] = Object.hasOwn(obj, name)
      ? checkNumericDomain(name, obj[name], method, issues)
      : { kind: 'values', values: [DEFAULT_TRIAL_PARAMS[name]] };
  }
  out.filters = Object.hasOwn(obj, 'filters')
    ? checkFiltersDomain(obj.filters, issues)
    : { kind: 'values', values: [[...DEFAULT_TRIAL_PARAMS.filters]] };
  return issues.items.length === before ? (out as SweepParameters) : undefined;
}

/**
 * The common shape of one parameter: a mapping with exactly one of value, values or
 * distribution. Returns the mapping and which form it uses.
 */
function checkDomainShape(
  name: string, value: unknown, issues: IssueList, example: string,
): { obj: Record<string, unknown>; form: 'value' | 'values' | 'distribution' } | undefined {
  const path = ['parameters', name];
  const obj = issues.mapping(value, path, `a mapping with one of value, values or distribution (e.g. ${name}: ${example})`);
  if (obj === undefined) return undefined;
  issues.unknownKeys(obj, path, DOMAIN_KEYS);
  const forms = (['value', 'values', 'distribution'] as const).filter((k) => Object.hasOwn(obj, k));
  const [form] = forms;
  if (forms.length > 1) {
    issues.add(path, `must have exactly one of value, values or distribution; found ${forms.join(' and ')}`);
    return undefined;
  }
  if (form === undefined) {
    issues.add(path, `must have one of value, values or distribution (e.g. ${name}: ${example}); found none`);
    return undefined;
  }
  if (form !== 'distribution') {
    for (const key of ['min', 'max', 'q'] as const) {
      if (Object.hasOwn(obj, key)) issues.add([...path, key], `only applies with distribution; this parameter uses ${form}`, true);
    }
  }
  return { obj, form };
}

function checkNumericDomain(
  name: NumericParamName, value: unknown, method: SweepMethod | undefined, issues: IssueList,
): NumericDomain | undefined {
  const bound = PARAM_BOUNDS[name];
  const shape = checkDomainShape(name, value, issues, `{value: ${DEFAULT_TRIAL_PARAMS[name]}}`);
  if (shape === undefined) return undefined;
  const path = ['parameters', name];
  if (shape.form === 'value') {
    const v = issues.number(shape.obj.value, [...path, 'value'], bound);
    return v === undefined ? undefined : { kind: 'values', values: [v] };
  }
  if (shape.form === 'values') {
    const list = issues.list(shape.obj.values, [...path, 'values'], `a non-empty list of numbers, each ${describeBound(bound)}`);
    if (list === undefined) return undefined;
    const values = list.map((v, i) => issues.number(v, [...path, 'values', i], bound));
    return values.every((v) => v !== undefined) ? { kind: 'values', values: values as number[] } : undefined;
  }
  if (method === 'grid') {
    issues.add([...path, 'distribution'], 'is only allowed with method: random, bayes or tpe; a grid takes value or values', true);
    return undefined;
  }
  return checkDistribution(name, shape.obj, issues);
}

function checkDistribution(name: NumericParamName, obj: Record<string, unknown>, issues: IssueList): DistributionDomain | undefined {
  const path = ['parameters', name];
  const bound = PARAM_BOUNDS[name];
  const allowed: readonly DistributionName[] = bound.integer ? ['int_uniform', 'q_uniform'] : DISTRIBUTION_NAMES;
  const hints = bound.integer
    ? { ...DISTRIBUTION_HINTS, uniform: `${name} is an integer`, log_uniform_values: `${name} is an integer` }
    : DISTRIBUTION_HINTS;
  const distribution = issues.choice(obj.distribution, [...path, 'distribution'], allowed, hints);
  const before = issues.items.length;
  const ends = (['min', 'max'] as const).map((key) => {
    if (!Object.hasOwn(obj, key)) {
      issues.add([...path, key], `is required with distribution (${describeBound(bound)})`);
      return undefined;
    }
    const v = issues.number(obj[key], [...path, key], bound);
    if (v !== undefined && distribution === 'int_uniform' && !Number.isInteger(v)) {
      issues.add([...path, key], `must be an integer for int_uniform; found ${v}`);
      return undefined;
    }
    return v;
  });
  const [min, max] = ends;
  if (min !== undefined && max !== undefined && !(min < max)) {
    issues.add([...path, 'max'], `must be greater than min (${min}); found ${max} (for a fixed setting use value)`);
  }
  if (distribution === 'log_uniform_values' && min !== undefined && min <= 0) {
    issues.add([...path, 'min'], `must be greater than 0 for log_uniform_values; found ${min}`);
  }
  let q = 1;
  if (Object.hasOwn(obj, 'q')) {
    if (distribution !== undefined && distribution !== 'q_uniform') {
      issues.add([...path, 'q'], `only applies to distribution: q_uniform; found distribution: ${distribution}`, true);
    } else {
      const qBound = { integer: bound.integer, min: 0, max: bound.max, minExclusive: true };
      q = issues.number(obj.q, [...path, 'q'], qBound) ?? q;
    }
  }
  if (distribution === undefined || min === undefined || max === undefined || issues.items.length > before) return undefined;
  if (distribution === 'q_uniform') {
    if (quantisedCount(min, max, q) < 1) {
      issues.add([...path, 'q'], `must have a multiple between min (${min}) and max (${max}); found ${q}`);
      return undefined;
    }
    return { kind: 'distribution', distribution, min, max, q };
  }
  return { kind: 'distribution', distribution, min, max };
}

function checkFiltersDomain(value: unknown, issues: IssueList): ValuesDomain<number[]> | undefined {
  const shape = checkDomainShape('filters', value, issues, '{value: [32, 64, 128]}');
  if (shape === undefined) return undefined;
  const path = ['parameters', 'filters'];
  if (shape.form === 'distribution') {
    issues.add([...path, 'distribution'], 'is not available for filters; list the settings with values: [16, [32, 64]]', true);
    return undefined;
  }
  if (shape.form === 'value') {
    const setting = checkFilterSetting(shape.obj.value, [...path, 'value'], issues);
    return setting === undefined ? undefined : { kind: 'values', values: [setting] };
  }
  const list = issues.list(shape.obj.values, [...path, 'values'], 'a non-empty list of filter settings (widths or lists of widths)');
  if (list === undefined) return undefined;
  const values = list.map((v, i) => checkFilterSetting(v, [...path, 'values', i], issues));
  return values.every((v) => v !== undefined) ? { kind: 'values', values: values as number[][] } : undefined;
}

/** One filters setting: a list of widths, or the shorthand w for [w, 2w, 4w]. */
function checkFilterSetting(value: unknown, path: KeyPath, issues: IssueList): number[] | undefined {
  if (Array.isArray(value)) return checkFilterList(value, path, issues);
  const shorthand = { ...FILTER_WIDTH_BOUND, max: LARGEST_SHORTHAND_WIDTH };
  if (inBound(value, shorthand)) return expandFilterShorthand(value);
  issues.add(path, `must be a list of ${FILTER_LEVELS.min} to ${FILTER_LEVELS.max} widths (${describeBound(FILTER_WIDTH_BOUND)}) `
    + `or one width w from 1 to ${LARGEST_SHORTHAND_WIDTH} meaning [w, 2w, 4w]; found ${describeFound(value)}`);
  return undefined;
}

/**
 * Parameters back in the form sweep.yaml writes them (value lists and distributions), for job
 * payloads: the worker reads them with checkParameters, the file's own validator.
 */
export function parametersAsWritten(parameters: SweepParameters): Record<string, unknown> {
  return Object.fromEntries(PARAM_NAMES.map((name) => {
    const domain = parameters[name];
    if (domain.kind === 'values') return [name, { values: domain.values }];
    const { kind: _kind, ...distribution } = domain;
    return [name, distribution];
  }));
}
