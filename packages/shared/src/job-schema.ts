import { z } from 'zod';
import type { SpecIssue } from './errors.js';
import { SweepSpecError } from './errors.js';
import { describeBound, type NumberBound } from './number-bounds.js';
import { KEEP_CHECKPOINTS, METRIC_GOALS, METRIC_NAMES } from './sweep-spec.js';
import { DATASET_BOUNDS, FILTER_LEVELS, FILTER_WIDTH_BOUND, PARAM_BOUNDS } from './trial.js';
import { TRIAL_ID_LENGTH, trialId } from './trial-id.js';

/**
 * The job payload's schema (zod). A malformed or hostile job (huge widths, 10^9 epochs, a sweep
 * id with '..' or '/', keys nobody knows) fails without retry and touches nothing. The bounds are
 * sweep.yaml's, taken from the same constants.
 */
function bounded(bound: NumberBound): z.ZodNumber {
  const rule = `must be ${describeBound(bound)}`;
  let n = z.number({ error: rule });
  if (bound.integer) n = n.int({ error: rule });
  n = bound.minExclusive ? n.gt(bound.min, { error: rule }) : n.gte(bound.min, { error: rule });
  return n.lte(bound.max, { error: rule });
}

const oneOf = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: `must be one of ${values.join(', ')}` });

const TRIAL_PARAMS = z.strictObject({
  noise_factor: bounded(PARAM_BOUNDS.noise_factor),
  filters: z.array(bounded(FILTER_WIDTH_BOUND)).min(FILTER_LEVELS.min).max(FILTER_LEVELS.max, {
    error: `must be a list of ${FILTER_LEVELS.min} to ${FILTER_LEVELS.max} widths`,
  }),
  epochs: bounded(PARAM_BOUNDS.epochs),
  batch_size: bounded(PARAM_BOUNDS.batch_size),
  learning_rate: bounded(PARAM_BOUNDS.learning_rate),
  seed: bounded(PARAM_BOUNDS.seed),
}, { error: 'must be a mapping of the six params' });

const DATASET_LIMITS = z.strictObject({
  train_limit: bounded(DATASET_BOUNDS.train_limit),
  test_limit: bounded(DATASET_BOUNDS.test_limit),
}, { error: 'must be a mapping {train_limit, test_limit}' });

/** A trial: its params, its dataset limits, and an id that is the hash of both. */
const TRIAL_SCHEMA = z.strictObject({
  id: z.string().regex(new RegExp(`^[0-9a-f]{${TRIAL_ID_LENGTH}}$`), { error: `must be ${TRIAL_ID_LENGTH} lowercase hex digits` }),
  params: TRIAL_PARAMS,
  dataset: DATASET_LIMITS,
}, { error: 'must be a mapping {id, params, dataset}' }).refine((t) => trialId(t.params, t.dataset) === t.id, {
  path: ['id'],
  error: 'does not match the config (altered, or built by other code)',
});

export const TRAIN_JOB_SCHEMA = z.strictObject({
  format: z.literal(1, { error: 'must be 1' }),
  sweep: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, { error: "must be a sweep id (1-64 of a-z, 0-9, '-')" }),
  trial: TRIAL_SCHEMA,
  dataset: z.strictObject({
    name: z.literal('fashion-mnist', { error: "must be 'fashion-mnist'" }),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be 64 hex digits' }),
  }, { error: 'must be a mapping {name, sha256}' }),
  checkpoints: z.strictObject({
    keep: oneOf(KEEP_CHECKPOINTS),
    metric: z.strictObject({ name: oneOf(METRIC_NAMES), goal: oneOf(METRIC_GOALS) }, { error: 'must be a mapping {name, goal}' }),
  }, { error: 'must be a mapping {keep, metric: {name, goal}}' }).optional(),
}, { error: 'must be a mapping {format, sweep, trial, dataset, checkpoints?}' });

/** Parses with a schema; every problem becomes one located issue of a SweepSpecError. */
export function parseWith<T>(schema: z.ZodType<T>, value: unknown, source: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues: SpecIssue[] = result.error.issues.map((issue) => ({
    source,
    path: issue.path.filter((p): p is string | number => typeof p !== 'symbol'),
    message: issue.code === 'unrecognized_keys' ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` : issue.message,
  }));
  throw new SweepSpecError(issues);
}
