import { z } from 'zod';
import type { SpecIssue } from './errors.js';
import { SweepSpecError } from './errors.js';
import { describeBound, type NumberBound } from './number-bounds.js';
import { RUNG_MODES } from './early-terminate.js';
import { IssueList } from './issue-list.js';
import { checkParameters } from './sweep-parameters.js';
import { ADAPTIVE_METHODS, KEEP_CHECKPOINTS, MAX_TRIALS, METRIC_GOALS, METRIC_NAMES } from './sweep-spec.js';
import { DATASET_BOUNDS, FILTER_LEVELS, FILTER_WIDTH_BOUND, PARAM_BOUNDS } from './trial.js';
import { TRIAL_ID_LENGTH, runId, trialId } from './trial-id.js';

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
const TRIAL_ID = z.string().regex(new RegExp(`^[0-9a-f]{${TRIAL_ID_LENGTH}}$`), { error: `must be ${TRIAL_ID_LENGTH} lowercase hex digits` });

const TRIAL_SCHEMA = z.strictObject({
  id: TRIAL_ID,
  params: TRIAL_PARAMS,
  dataset: DATASET_LIMITS,
}, { error: 'must be a mapping {id, params, dataset}' }).refine((t) => trialId(t.params, t.dataset) === t.id, {
  path: ['id'],
  error: 'does not match the config (altered, or built by other code)',
});

const EPOCHS = bounded(PARAM_BOUNDS.epochs);
const FACTOR = z.number({ error: 'must be a number greater than 1' }).gt(1, { error: 'must be greater than 1' }).lte(100, { error: 'must be at most 100' });
const METRIC = z.strictObject({ name: oneOf(METRIC_NAMES), goal: oneOf(METRIC_GOALS) }, { error: 'must be a mapping {name, goal}' });

const EARLY_TERMINATE = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('hyperband'),
    min_iter: EPOCHS.optional(),
    max_iter: EPOCHS.optional(),
    s: z.number().int().min(1).max(100).optional(),
    eta: FACTOR,
    strict: z.boolean({ error: 'must be true or false' }),
    mode: oneOf(RUNG_MODES),
  }),
  z.strictObject({
    type: z.literal('asha'),
    grace_period: EPOCHS,
    reduction_factor: FACTOR,
    max_t: EPOCHS,
    brackets: z.number().int().min(1).max(10),
    mode: oneOf(RUNG_MODES),
    // Absent from jobs enqueued before it existed: Ray's rule, as they were decided.
    strict: z.boolean({ error: 'must be true or false' }).default(false),
  }),
], { error: 'must be a mapping with type hyperband or asha' });

/** An adaptive sweep's search: its parameters are checked by sweep.yaml's own validator. */
const SEARCH = z.strictObject({
  method: oneOf(ADAPTIVE_METHODS),
  parameters: z.record(z.string(), z.unknown()),
  metric: METRIC,
  dataset: DATASET_LIMITS,
  search_seed: bounded(PARAM_BOUNDS.seed).optional(),
}, { error: 'must be a mapping {method, parameters, metric, dataset, search_seed?}' }).superRefine((search, ctx) => {
  const issues = new IssueList();
  checkParameters(search.parameters, search.method, issues);
  for (const issue of issues.items) ctx.addIssue({ code: 'custom', path: issue.path.slice(), message: issue.message });
});

const TRAIN_JOB_OBJECT = z.strictObject({
  format: z.literal(1, { error: 'must be 1' }),
  sweep: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, { error: "must be a sweep id (1-64 of a-z, 0-9, '-')" }),
  trial: TRIAL_SCHEMA,
  dataset: z.strictObject({
    name: z.literal('fashion-mnist', { error: "must be 'fashion-mnist'" }),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be 64 hex digits' }),
  }, { error: 'must be a mapping {name, sha256}' }),
  checkpoints: z.strictObject({
    keep: oneOf(KEEP_CHECKPOINTS),
    metric: METRIC,
  }, { error: 'must be a mapping {keep, metric: {name, goal}}' }).optional(),
  rungs: z.strictObject({ early_terminate: EARLY_TERMINATE, metric: METRIC }, { error: 'must be a mapping {early_terminate, metric}' }).optional(),
  shares: z.strictObject({
    milestones: z.array(TRIAL_SCHEMA).max(PARAM_BOUNDS.epochs.max),
    donor: z.strictObject({ trial: TRIAL_ID, epochs: EPOCHS }).optional(),
  }, { error: 'must be a mapping {milestones, donor?}' }).optional(),
  slot: z.number().int().min(0).max(MAX_TRIALS).optional(),
  search: SEARCH.optional(),
}, { error: 'must be a mapping {format, sweep, trial, dataset, checkpoints?, rungs?, shares?, slot?, search?}' });

export const TRAIN_JOB_SCHEMA = TRAIN_JOB_OBJECT.refine(
  (job) => (job.shares?.milestones ?? []).every((m) => job.trial && m.params.epochs < job.trial.params.epochs
    && runId(m.params, m.dataset) === runId(job.trial.params, job.trial.dataset)),
  { path: ['shares', 'milestones'], error: 'must be trials that differ from this one only in fewer epochs' },
);

/** A slot of an adaptive sweep: its trial is suggested by the worker that takes it. */
export const SLOT_JOB_SCHEMA = TRAIN_JOB_OBJECT.extend({
  trial: TRIAL_SCHEMA.optional(),
  slot: z.number().int().min(0).max(MAX_TRIALS),
  search: SEARCH,
});

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
