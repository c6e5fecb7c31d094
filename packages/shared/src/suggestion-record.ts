import type { Redis } from 'ioredis';
import { QUEUE_NAME, QUEUE_PREFIX } from './queue-contract.js';
import { SeededRandom } from './seeded-random.js';
import { configKey, searchSpaceOf, suggestBayes, suggestTpe, type Observation, type Sampler } from './search/index.js';
import { IssueList } from './issue-list.js';
import type { RungDecision } from './rung-table.js';
import { randomSearchParams } from './sweep-expand.js';
import { checkParameters, parametersAsWritten } from './sweep-parameters.js';
import { isAdaptiveMethod, type AdaptiveMethod, type SweepMetric, type SweepParameters, type SweepSpec } from './sweep-spec.js';
import type { DatasetLimits, Trial } from './trial.js';
import { trialId } from './trial-id.js';

/*
 * The suggestion record of an adaptive sweep, in Redis: an ordered list of every suggestion
 * with what was known when it was made. A suggestion is a pure function of the sweep's search
 * (method, space, search_seed), its index, and that knowledge, so replaying the record
 * reproduces it, and a sweep re-run with one worker suggests the same trials in the same order.
 *
 * Suggestions are made by workers, when one takes a slot job (one per run_cap) and is free to
 * train it: the worker reads the record and every trial's outcome, computes the suggestion,
 * and appends it in a WATCH/MULTI transaction that fails if anyone appended meanwhile (it then
 * reads again and recomputes). The record is thus one linear history, whatever the number of
 * workers, no process has to stay up between suggestions, and since every sampler skips the
 * configurations already in the record, no two trials of a sweep share one.
 */

/** What a worker needs to suggest: everything in sweep.yaml that shapes a suggestion. */
export interface SearchPolicy {
  method: AdaptiveMethod;
  parameters: SweepParameters;
  metric: SweepMetric;
  dataset: DatasetLimits;
  /** Absent when sweep.yaml has none: random search's stream is then that of earlier versions (see randomSearchParams). */
  search_seed?: number;
}

/** The search as a job carries it: parameters as sweep.yaml writes them (parametersAsWritten). */
export type SearchPayload = Omit<SearchPolicy, 'parameters'> & { parameters: Record<string, unknown> };

/** The search of a sweep, for its slot jobs. */
export function searchPayloadOf(spec: SweepSpec): SearchPayload {
  if (!isAdaptiveMethod(spec.method)) throw new Error(`internal: a ${spec.method} sweep has no search to suggest from`);
  return { method: spec.method, parameters: parametersAsWritten(spec.parameters), metric: { ...spec.metric }, dataset: { ...spec.dataset }, ...(spec.search_seed === undefined ? {} : { search_seed: spec.search_seed }) };
}

/**
 * The search of a validated job payload (SLOT_JOB_SCHEMA checked its parameters already).
 * @throws SweepSpecError if the parameters are invalid after all
 */
export function searchPolicyOf(payload: SearchPayload, source: string): SearchPolicy {
  const issues = new IssueList();
  const parameters = checkParameters(payload.parameters, payload.method, issues);
  if (parameters === undefined) throw issues.toError(source);
  return { ...payload, parameters };
}

/** What a suggestion saw of one earlier suggestion. */
export interface SeenTrial {
  trial: string;
  state: Observation['state'];
  loss?: number;
  /** The epoch of its loss when not its last: where early termination cut it (stopped, or paused), or the last rung it passed (pending). */
  pruned_at?: number;
}

export interface SuggestionEntry {
  index: number;
  slot: number;
  trial: Trial;
  /** Every earlier suggestion, in order, as known when this one was made. */
  seen: SeenTrial[];
  at: string;
}

/** A trial's outcome, as its worker recorded it (absent: queued, or running short of its first rung). */
export interface TrialOutcome {
  /** running: it passed a rung of early termination and trains on. */
  state: 'completed' | 'stopped' | 'paused' | 'running' | 'failed';
  /** The sweep's metric (as measured, not oriented) at the trial's last epoch or rung. */
  value?: number;
  /** That epoch. */
  epoch?: number;
}

const base = `${QUEUE_PREFIX}:${QUEUE_NAME}:adaptive`;
const recordKey = (sweep: string) => `${base}:${sweep}:record`;
const slotsKey = (sweep: string) => `${base}:${sweep}:slots`;
const outcomesKey = (sweep: string) => `${base}:${sweep}:outcomes`;
const MAX_ATTEMPTS = 200;

const SAMPLERS: Readonly<Record<AdaptiveMethod, Sampler>> = { bayes: suggestBayes, tpe: suggestTpe };

/** The BullMQ job id of an adaptive sweep's slot (slots are numbered from 0). */
export function slotJobId(sweep: string, slot: number): string {
  return `${sweep}.slot-${String(slot).padStart(5, '0')}`;
}

/** Records how a trial of an adaptive sweep ended (or paused), for the suggestions after it. */
export async function recordOutcome(redis: Redis, sweep: string, trial: string, outcome: TrialOutcome): Promise<void> {
  await redis.hset(outcomesKey(sweep), trial, JSON.stringify(outcome));
}

/**
 * What a sampler sees of a trial: queued or running: pending (with its value at the last rung
 * it passed, if any); failed: failed; completed, stopped or paused: its metric at its last
 * epoch. A paused trial is seen as a stopped one (Optuna's TPE likewise learns from pruned
 * trials' last values), so that pause and stop mode give the sampler the same knowledge, and a
 * promoted trial counts with its rung's value until it passes the next rung or ends.
 */
export function seenOf(trial: string, outcome: TrialOutcome | undefined, metric: SweepMetric): SeenTrial {
  if (!outcome) return { trial, state: 'pending' };
  if (outcome.state === 'running') {
    return outcome.value === undefined || !Number.isFinite(outcome.value) || outcome.epoch === undefined
      ? { trial, state: 'pending' }
      : { trial, state: 'pending', loss: orient(outcome.value, metric), pruned_at: outcome.epoch };
  }
  if (outcome.state === 'failed' || outcome.value === undefined || !Number.isFinite(outcome.value)) return { trial, state: 'failed' };
  const seen: SeenTrial = { trial, state: 'completed', loss: orient(outcome.value, metric) };
  if (outcome.state !== 'completed' && outcome.epoch !== undefined) seen.pruned_at = outcome.epoch;
  return seen;
}

/**
 * What a trial's worker records for the search after a decision at one of its rungs, with its
 * metric `value` there: paused, or running on (so that suggestions made meanwhile know its
 * value); nothing for a stopped trial, whose result is recorded when it ends.
 */
export function outcomeAfterRung(decision: RungDecision, value: number, epoch: number): TrialOutcome | undefined {
  if (decision === 'stopped') return undefined;
  return { state: decision === 'paused' ? 'paused' : 'running', value, epoch };
}

const orient = (value: number, metric: SweepMetric) => (metric.goal === 'maximize' ? -value : value);

/**
 * The suggestion for an index, given the earlier entries and what was seen of them: the pure
 * function the record is a history of. Undefined when the space holds no other configuration.
 */
export function computeSuggestion(policy: SearchPolicy, sweep: string, earlier: readonly SuggestionEntry[], seen: readonly SeenTrial[]): Trial | undefined {
  const space = searchSpaceOf(policy.parameters);
  const observations: Observation[] = earlier.map((entry, i) => {
    const s = seen[i];
    const o: Observation = { params: entry.trial.params, state: s?.state ?? 'pending' };
    if (s?.loss !== undefined) o.loss = s.loss;
    if (s?.pruned_at !== undefined) o.prunedAt = s.pruned_at;
    return o;
  });
  const rng = new SeededRandom(`denoise-sweep/${policy.method}/${sweep}/${policy.search_seed ?? 0}/${earlier.length}`);
  const taken = new Set(earlier.map((e) => configKey(e.trial.params)));
  const startup = () => randomSearchParams(policy.parameters, sweep, policy.search_seed, earlier.length);
  const params = SAMPLERS[policy.method]({ space, observations, rng, taken, startup });
  if (!params) return undefined;
  const dataset = { ...policy.dataset };
  return { id: trialId(params, dataset), params, dataset };
}

/**
 * The suggestion of a slot: the one already made for it, or a new one appended to the record.
 * Undefined when the search space is exhausted.
 */
export async function suggestForSlot(redis: Redis, sweep: string, slot: number, policy: SearchPolicy): Promise<SuggestionEntry | undefined> {
  const record = recordKey(sweep);
  const slots = slotsKey(sweep);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    await redis.watch(record, slots);
    const existing = await redis.hget(slots, String(slot));
    const entries = (await redis.lrange(record, 0, -1)).map((text) => JSON.parse(text) as SuggestionEntry);
    if (existing !== null) {
      await redis.unwatch();
      return entries.find((e) => e.trial.id === existing);
    }
    const outcomes = await redis.hgetall(outcomesKey(sweep));
    const seen = entries.map((e) => seenOf(e.trial.id, outcomes[e.trial.id] === undefined ? undefined : (JSON.parse(outcomes[e.trial.id]!) as TrialOutcome), policy.metric));
    const trial = computeSuggestion(policy, sweep, entries, seen);
    if (!trial) {
      await redis.unwatch();
      return undefined;
    }
    const entry: SuggestionEntry = { index: entries.length, slot, trial, seen, at: new Date().toISOString() };
    const done = await redis.multi().rpush(record, JSON.stringify(entry)).hset(slots, String(slot), trial.id).exec();
    if (done !== null) return entry;
  }
  throw new Error(`could not append a suggestion to sweep ${sweep}'s record: it kept changing`);
}

/** The sweep's suggestion record, in order. */
export async function readSuggestions(redis: Redis, sweep: string): Promise<SuggestionEntry[]> {
  return (await redis.lrange(recordKey(sweep), 0, -1)).map((text) => JSON.parse(text) as SuggestionEntry);
}

/**
 * Puts a sweep's record back into an empty Redis (a lost or replaced server) from the store's
 * copy, with each trial's outcome as its result.json says: later suggestions see what the
 * earlier ones saw, and no configuration is suggested twice. A no-op when Redis has a record.
 * Returns how many entries were restored.
 */
export async function restoreRecord(redis: Redis, sweep: string, entries: readonly SuggestionEntry[], outcomes: ReadonlyMap<string, TrialOutcome>): Promise<number> {
  if (entries.length === 0) return 0;
  const record = recordKey(sweep);
  await redis.watch(record);
  if ((await redis.llen(record)) > 0) {
    await redis.unwatch();
    return 0;
  }
  const sorted = [...entries].sort((a, b) => a.index - b.index);
  const tx = redis.multi().rpush(record, ...sorted.map((e) => JSON.stringify(e)));
  for (const e of sorted) tx.hset(slotsKey(sweep), String(e.slot), e.trial.id);
  for (const [trial, outcome] of outcomes) tx.hset(outcomesKey(sweep), trial, JSON.stringify(outcome));
  return (await tx.exec()) === null ? 0 : sorted.length;
}
