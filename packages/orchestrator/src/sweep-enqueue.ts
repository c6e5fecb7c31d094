import type {
  ArtifactKeys, DatasetRef, ObjectStore, QueueJobData, RunShares, SlotJobData, SuggestionEntry, SweepSpec, Trial, TrainJobData, TrialOutcome, TrialResult,
} from '@denoise-sweep/shared';
import {
  JOB_NAME, QUEUE_PREFIX, cancelKey, jobIdFor, mapLimit, groupByRun, readJson, readSuggestions, restoreRecord, searchPayloadOf, slotJobId, sweepId,
} from '@denoise-sweep/shared';
import type { JobState, JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { jobStates } from './job-states.js';
import { touchSweep } from './sweep-index.js';
import { sweepRecord } from './sweep-record.js';

/** Retries of a failing trial, each resuming from its checkpoint, with exponential backoff. */
export const TRIAL_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 10_000 },
  // Results live in the object store; the queue keeps a bounded history.
  removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
  removeOnFail: { age: 30 * 24 * 3600, count: 10_000 },
};

export interface EnqueueOutcome {
  sweep: string;
  total: number;
  /** Trials with a result.json: done, not enqueued again. */
  done: number;
  /** Jobs added now. */
  enqueued: number;
  /** Failed or cancelled jobs put back in the queue. */
  retried: number;
  /** Trials already waiting or running. */
  alreadyQueued: number;
  /** Trials finished on the way by a longer trial of the same run (they differ only in epochs). */
  onTheWay: number;
}

/**
 * Epochs are a budget: the unfinished trials of each run (trials that differ only in epochs)
 * become one job, the longest, which finishes the shorter ones at their epoch counts and
 * starts from the longest finished shorter one. Returns the shares of each such job.
 */
function planRuns(trials: readonly Trial[], isDone: (t: Trial) => boolean): Map<string, RunShares> {
  const plans = new Map<string, RunShares>();
  for (const members of groupByRun(trials).values()) {
    const open = members.filter((t) => !isDone(t)).sort((a, b) => b.params.epochs - a.params.epochs);
    const [carrier, ...milestones] = open;
    if (!carrier) continue;
    const donor = members.filter((t) => isDone(t) && t.params.epochs < carrier.params.epochs).sort((a, b) => b.params.epochs - a.params.epochs)[0];
    if (milestones.length === 0 && !donor) continue;
    plans.set(carrier.id, { milestones, ...(donor ? { donor: { trial: donor.id, epochs: donor.params.epochs } } : {}) });
  }
  return plans;
}

export interface EnqueueOptions {
  spec: SweepSpec;
  trials: readonly Trial[];
  store: ObjectStore;
  keys: ArtifactKeys;
  queue: Queue<QueueJobData>;
  redis: Redis;
  dataset: DatasetRef;
}

/**
 * Makes the queue hold exactly the unfinished trials of a sweep, however often it runs and
 * whatever happened before (a lost Redis, a killed orchestrator, two orchestrators at once):
 * - a trial with result.json in the store is done and never enqueued;
 * - a job's id is derived from sweep and trial, so adding it twice is a no-op in BullMQ;
 * - failed or cancelled jobs are retried; waiting, delayed and active ones are left alone;
 * - a completed job without a result (the store lost it) is replaced.
 * sweep.json is written first, so the store always determines every trial the queue may hold
 * (each trial writes its own config.json when it starts). Its cost is one store write, one
 * listing and a few Redis round trips per 10,000 trials: no request per trial.
 */
export async function enqueueSweep(options: EnqueueOptions): Promise<EnqueueOutcome> {
  const { spec, trials, store, keys, queue, redis, dataset } = options;
  const sweep = sweepId(spec);
  await store.put(keys.sweepJson(sweep), JSON.stringify(sweepRecord(spec, trials, dataset), null, 2));
  // A new run of the sweep lifts an earlier cancel, and makes the exporter show the sweep.
  await redis.del(cancelKey(QUEUE_PREFIX, sweep));
  await touchSweep(redis, sweep);

  const outcome: EnqueueOutcome = { sweep, total: trials.length, done: 0, enqueued: 0, retried: 0, alreadyQueued: 0, onTheWay: 0 };
  const toAdd: Trial[] = [];
  // One listing of the sweep's keys instead of two existence checks per trial. A result that
  // lands after the listing is harmless: its job finds result.json and returns untrained.
  const stored = new Set(await store.list(`${keys.sweepDir(sweep)}/trials/`));
  const isDone = (trial: Trial) => stored.has(keys.result(sweep, trial.id));
  const shares = spec.early_terminate ? new Map<string, RunShares>() : planRuns(trials, isDone);
  const onTheWay = new Set([...shares.values()].flatMap((s) => s.milestones.map((m) => m.id)));
  const open: Trial[] = [];
  for (const trial of trials) {
    if (isDone(trial)) outcome.done += 1;
    else if (onTheWay.has(trial.id)) outcome.onTheWay += 1;
    else open.push(trial);
  }
  const existing = await existingJobs(queue, redis, open.map((t) => jobIdFor(sweep, t.id)));
  const states = await statesIfAny(redis, queue, existing);
  await mapLimit(open, 64, async (trial) => {
    const jobId = jobIdFor(sweep, trial.id);
    if (!existing.has(jobId) || (await requeue(queue, jobId, outcome, states))) toAdd.push(trial);
  });

  // In the sweep's own order, whatever order the checks above finished in: with one worker,
  // trials then train (and meet early termination's rungs) in the same order on every run.
  const order = new Map(trials.map((t, i) => [t.id, i]));
  toAdd.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  for (let i = 0; i < toAdd.length; i += 500) {
    const chunk = toAdd.slice(i, i + 500);
    const jobs = await queue.addBulk(chunk.map((trial) => ({
      name: JOB_NAME,
      data: { ...trainJobData(spec, sweep, trial, dataset), ...(shares.has(trial.id) ? { shares: shares.get(trial.id) } : {}) },
      opts: { ...TRIAL_JOB_OPTIONS, jobId: jobIdFor(sweep, trial.id) },
    })));
    outcome.enqueued += jobs.length;
  }
  return outcome;
}

/** A trial's job payload: what to train, which checkpoints to keep, and the sweep's rungs. */
function trainJobData(spec: SweepSpec, sweep: string, trial: Trial, dataset: DatasetRef): TrainJobData;
function trainJobData(spec: SweepSpec, sweep: string, trial: undefined, dataset: DatasetRef): Omit<TrainJobData, 'trial'>;
function trainJobData(spec: SweepSpec, sweep: string, trial: Trial | undefined, dataset: DatasetRef): Omit<TrainJobData, 'trial'> {
  const data: Omit<TrainJobData, 'trial'> = { format: 1, sweep, ...(trial ? { trial } : {}), dataset, checkpoints: { keep: spec.keep_checkpoints, metric: spec.metric } };
  if (spec.early_terminate) data.rungs = { early_terminate: spec.early_terminate, metric: spec.metric };
  return data;
}

/** The ids among `ids` that have a job in the queue: one pipelined EXISTS each, 1,000 per round trip. */
async function existingJobs(queue: Queue<QueueJobData>, redis: Redis, ids: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000);
    const pipeline = redis.pipeline();
    for (const id of chunk) pipeline.exists(queue.toKey(id));
    const replies = (await pipeline.exec()) ?? [];
    replies.forEach(([error, count], j) => {
      if (error) throw error;
      if (count === 1) found.add(chunk[j]!);
    });
  }
  return found;
}

/** Job states enqueueing leaves alone: the job will run, or runs. */
const LEFT_ALONE: ReadonlySet<string> = new Set<JobState>(['waiting', 'delayed', 'prioritized', 'active', 'waiting-children']);

/**
 * The states of the queue's jobs when some of `ids` already have one (one read, see jobStates),
 * else an empty map.
 */
async function statesIfAny(redis: Redis, queue: Queue<QueueJobData>, existing: ReadonlySet<string>): Promise<ReadonlyMap<string, JobState>> {
  return existing.size > 0 ? jobStates(redis, queue) : new Map();
}

/**
 * Puts an unfinished trial's job back in shape: a failed or cancelled one is retried, one
 * waiting, delayed (retrying, paused) or active is left alone; true when it must be added
 * (no job, or a completed one whose result the store lost, removed here).
 */
async function requeue(queue: Queue<QueueJobData>, jobId: string, outcome: EnqueueOutcome, states: ReadonlyMap<string, JobState>): Promise<boolean> {
  // A job the snapshot saw waiting or running is left alone without another look; any other
  // is looked at again now, just before acting on it.
  if (LEFT_ALONE.has(states.get(jobId) ?? 'unknown')) {
    outcome.alreadyQueued += 1;
    return false;
  }
  const job = await queue.getJob(jobId);
  const state = job ? await job.getState() : 'unknown';
  if (!job || state === 'unknown') return true;
  if (state === 'failed') {
    await job.retry('failed');
    outcome.retried += 1;
    return false;
  }
  if (state === 'completed') {
    await job.remove();
    return true;
  }
  outcome.alreadyQueued += 1;
  return false;
}

/**
 * Makes the queue hold one job per unfilled or unfinished slot of an adaptive sweep (run_cap
 * slots), with the same guarantees as enqueueSweep: slot job ids are fixed, so running the
 * command again adds nothing twice, and raising run_cap adds only the new slots. A slot whose
 * trial has a result is done; a failed one is retried, resuming its trial.
 */
export async function enqueueSlots(options: Omit<EnqueueOptions, 'trials'>): Promise<EnqueueOutcome> {
  const { spec, store, keys, queue, redis, dataset } = options;
  const sweep = sweepId(spec);
  const slots = spec.run_cap ?? 0;
  await store.put(keys.sweepJson(sweep), JSON.stringify(sweepRecord(spec, [], dataset), null, 2));
  await redis.del(cancelKey(QUEUE_PREFIX, sweep));
  await touchSweep(redis, sweep);
  const stored = new Set(await store.list(`${keys.sweepDir(sweep)}/trials/`));
  await restoreLostRecord(options, stored);
  const trialOfSlot = new Map((await readSuggestions(redis, sweep)).map((e) => [e.slot, e.trial.id]));
  const outcome: EnqueueOutcome = { sweep, total: slots, done: 0, enqueued: 0, retried: 0, alreadyQueued: 0, onTheWay: 0 };
  const open: number[] = [];
  for (let slot = 0; slot < slots; slot++) {
    const trial = trialOfSlot.get(slot);
    if (trial !== undefined && stored.has(keys.result(sweep, trial))) outcome.done += 1;
    else open.push(slot);
  }
  const existing = await existingJobs(queue, redis, open.map((slot) => slotJobId(sweep, slot)));
  const states = await statesIfAny(redis, queue, existing);
  const toAdd: number[] = [];
  await mapLimit(open, 64, async (slot) => {
    const jobId = slotJobId(sweep, slot);
    if (!existing.has(jobId) || (await requeue(queue, jobId, outcome, states))) toAdd.push(slot);
  });
  toAdd.sort((a, b) => a - b);
  const search = searchPayloadOf(spec);
  const base = trainJobData(spec, sweep, undefined, dataset);
  for (let i = 0; i < toAdd.length; i += 500) {
    const jobs = await queue.addBulk(toAdd.slice(i, i + 500).map((slot) => ({
      name: JOB_NAME,
      data: { ...base, slot, search } satisfies SlotJobData,
      opts: { ...TRIAL_JOB_OPTIONS, jobId: slotJobId(sweep, slot) },
    })));
    outcome.enqueued += jobs.length;
  }
  return outcome;
}

/**
 * A Redis that lost an adaptive sweep's record (restarted empty, replaced) gets it back from
 * the store's copy, with each trial's outcome from its result.json, before any slot is
 * enqueued: the suggestions made so far stand, and no configuration is suggested twice.
 */
async function restoreLostRecord(options: Omit<EnqueueOptions, 'trials'>, stored: ReadonlySet<string>): Promise<void> {
  const { spec, store, keys, redis } = options;
  const sweep = sweepId(spec);
  if ((await readSuggestions(redis, sweep)).length > 0) return;
  const copies = (await store.list(`${keys.suggestions(sweep)}/`)).sort();
  const entries = (await mapLimit(copies, 16, (key) => readJson<SuggestionEntry>(store, key))).filter((e): e is SuggestionEntry => e !== undefined);
  const outcomes = new Map<string, TrialOutcome>();
  await mapLimit(entries, 16, async (e) => {
    if (!stored.has(keys.result(sweep, e.trial.id))) return;
    const result = await readJson<TrialResult>(store, keys.result(sweep, e.trial.id));
    if (result) outcomes.set(e.trial.id, { state: result.status, value: result.final[spec.metric.name], epoch: result.epochs_completed });
  });
  await restoreRecord(redis, sweep, entries, outcomes);
}
