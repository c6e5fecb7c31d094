import { IssueList } from './issue-list.js';
import type { KeyPath } from './key-path.js';
import { describeBound, describeFound } from './number-bounds.js';
import {
  DATASET_BOUNDS, FILTER_LEVELS, FILTER_WIDTH_BOUND, NUMERIC_PARAM_NAMES, PARAM_BOUNDS, PARAM_NAMES,
  type DatasetLimits, type TrialParams,
} from './trial.js';

const FILTER_LIST_RULE =
  `a list of ${FILTER_LEVELS.min} to ${FILTER_LEVELS.max} widths, each ${describeBound(FILTER_WIDTH_BOUND)}`;

/** Checks a list of conv widths (the normalised `filters` form); reports each bad width by index. */
export function checkFilterList(value: unknown, path: KeyPath, issues: IssueList): number[] | undefined {
  if (!Array.isArray(value) || value.length < FILTER_LEVELS.min || value.length > FILTER_LEVELS.max) {
    const found = Array.isArray(value) ? `a list of ${value.length}` : describeFound(value);
    issues.add(path, `must be ${FILTER_LIST_RULE}; found ${found}`);
    return undefined;
  }
  const before = issues.items.length;
  const widths = value.map((w: unknown, i) => issues.number(w, [...path, i], FILTER_WIDTH_BOUND));
  return issues.items.length === before ? (widths as number[]) : undefined;
}

/** Collects the problems of a normalised TrialParams object (all six keys, filters as a list). */
function checkTrialParams(value: unknown, path: KeyPath, issues: IssueList): TrialParams | undefined {
  const obj = issues.mapping(value, path, `a mapping of ${PARAM_NAMES.join(', ')}`);
  if (obj === undefined) return undefined;
  const before = issues.items.length;
  issues.unknownKeys(obj, path, PARAM_NAMES);
  const out: Partial<TrialParams> = {};
  for (const name of NUMERIC_PARAM_NAMES) {
    if (!Object.hasOwn(obj, name)) issues.add([...path, name], `is required (${describeBound(PARAM_BOUNDS[name])})`);
    else out[name] = issues.number(obj[name], [...path, name], PARAM_BOUNDS[name]);
  }
  if (!Object.hasOwn(obj, 'filters')) issues.add([...path, 'filters'], `is required (${FILTER_LIST_RULE})`);
  else out.filters = checkFilterList(obj.filters, [...path, 'filters'], issues);
  return issues.items.length === before ? (out as TrialParams) : undefined;
}

/** Collects the problems of a DatasetLimits object (both keys required). */
function checkDatasetLimits(value: unknown, path: KeyPath, issues: IssueList): DatasetLimits | undefined {
  const obj = issues.mapping(value, path, 'a mapping of train_limit, test_limit');
  if (obj === undefined) return undefined;
  const before = issues.items.length;
  issues.unknownKeys(obj, path, ['train_limit', 'test_limit']);
  const out: Partial<DatasetLimits> = {};
  for (const key of ['train_limit', 'test_limit'] as const) {
    if (!Object.hasOwn(obj, key)) issues.add([...path, key], `is required (${describeBound(DATASET_BOUNDS[key])})`);
    else out[key] = issues.number(obj[key], [...path, key], DATASET_BOUNDS[key]);
  }
  return issues.items.length === before ? (out as DatasetLimits) : undefined;
}

/**
 * Validates trial params received from outside (e.g. a job payload), with the same bounds as
 * sweep.yaml. Returns a fresh object holding only the six known keys.
 * @throws SweepSpecError listing every problem, e.g. `job payload: filters[3]: must be ...`.
 */
export function validateTrialParams(value: unknown, source = 'trial params'): TrialParams {
  const issues = new IssueList();
  const params = checkTrialParams(value, [], issues);
  if (params === undefined) throw issues.toError(source);
  return { ...params, filters: [...params.filters] };
}

/** Validates dataset limits received from outside. @throws SweepSpecError */
export function validateDatasetLimits(value: unknown, source = 'dataset limits'): DatasetLimits {
  const issues = new IssueList();
  const dataset = checkDatasetLimits(value, [], issues);
  if (dataset === undefined) throw issues.toError(source);
  return { ...dataset };
}
