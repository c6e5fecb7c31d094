import type { ArtifactKeys, ObjectStore, QueueJobData, TrainProgress, Trial, TrialFailure, TrialParams, TrialResult } from '@denoise-sweep/shared';
import {
  CANCELLED_REASON, QUEUE_PREFIX, cancelKey, expandSweep, isAdaptiveMethod, jobIdFor, mapLimit, pausedTrials, pendingPromotions, promotionsOf,
  groupByRun, readJson, readSuggestions, runId, slotJobId,
} from '@denoise-sweep/shared';
import type { Redis } from 'ioredis';
import type { Job, JobState, Queue } from 'bullmq';
import { jobStates } from './job-states.js';
import type { SweepRecord } from './sweep-record.js';

/**
 * What a trial is doing. `done` and `stopped` (cut at a rung for good) come from the store
 * (result.json exists), the rest from the queue: S3 is the source of truth for results, Redis
 * for work in flight. `paused`: cut at a rung in pause mode, waiting to be promoted.
 */
export type TrialState = 'done' | 'stopped' | 'running' | 'waiting' | 'paused' | 'retrying' | 'failed' | 'cancelled' | 'missing';
export const TRIAL_STATES: readonly TrialState[] = ['done', 'stopped', 'running', 'waiting', 'paused', 'retrying', 'failed', 'cancelled', 'missing'];

export interface TrialStatus {
  /** The trial id; `slot-NNNNN` for a slot of an adaptive sweep whose trial is not suggested yet. */
  id: string;
  /** Its hyperparameters (unknown for a slot not yet suggested). */
  params?: TrialParams;
  state: TrialState;
  result?: TrialResult;
  progress?: TrainProgress;
  /** Why the last attempt failed. */
  failedReason?: string;
  /** The rung (epoch) a paused trial waits at. */
  pausedAt?: number;
  /** The rungs (epochs) at which the trial was paused and later promoted. */
  promotedAt?: number[];
  attempts: number;
}

export interface SweepStatus {
  sweep: string;
  record: SweepRecord;
  trials: TrialStatus[];
  counts: Record<TrialState, number>;
}

function isProgress(value: unknown): value is TrainProgress {
  return typeof value === 'object' && value !== null && 'phase' in value && 'epochs' in value;
}

/** Reads every trial's state from the store and, when given, the queue. */
export async function readSweepStatus(
  record: SweepRecord,
  store: ObjectStore,
  keys: ArtifactKeys,
  queue: Queue<QueueJobData> | undefined,
  /** Results already read, by result key: a result.json never changes once written. */
  resultCache?: Map<string, TrialResult>,
  /** For the sweep's cancel mark and its paused trials. */
  redis?: Redis,
  /** The queue's job states (jobStates), when the caller reads several sweeps at once; else read here. */
  queueStates?: ReadonlyMap<string, JobState>,
): Promise<SweepStatus> {
  const sweep = record.id;
  // Cancelled: trials without a job were removed by the cancel.
  const cancelled = await sweepCancelled(redis, sweep);
  const paused = redis ? await pausedTrials(redis, sweep) : new Map<string, number>();
  // A paused job whose promotion is decided is as good as waiting (the sweep is not settled).
  const promoting = new Set(redis && paused.size > 0 ? await pendingPromotions(redis) : []);
  const promotions = redis && record.spec.early_terminate ? await promotionsOf(redis, sweep) : new Map<string, number[]>();
  const members = await membersOf(record, redis);
  const states = queueStates ?? (queue && redis ? await jobStates(redis, queue) : undefined);
  // A job the snapshot does not hold was added after it: ask for that one alone.
  const stateOf = async (job: Job<QueueJobData>) => states?.get(job.id ?? '') ?? job.getState();
  // A trial with a job of its own says through it when it is over (completed: its result is
  // read then). The store is asked about the others whose result was not read before (no job,
  // or one finished on the way by a longer trial's job): one listing of the sweep's keys when
  // they are many (the listing grows with the sweep, about 5 objects per trial), else a read of
  // each. A result written after the listing is looked for again when the job says the trial
  // is over (completed, or gone).
  const askStore = states === undefined ? undefined : new Set(members
    .filter((m) => m.params !== undefined && !states.has(m.job) && !resultCache?.has(keys.result(sweep, m.id))).map((m) => m.id));
  const listed = askStore === undefined || askStore.size > LIST_OVER_READS ? new Set(await store.list(`${keys.sweepDir(sweep)}/trials/`)) : undefined;
  const readResult = async (key: string, again: boolean): Promise<TrialResult | undefined> => {
    const cached = resultCache?.get(key);
    if (cached) return cached;
    if (!again && !listed?.has(key)) return undefined;
    const result = await readJson<TrialResult>(store, key);
    if (result) resultCache?.set(key, result);
    return result;
  };
  const done = (id: string, params: TrialParams, result: TrialResult): TrialStatus => ({ id, params, state: result.status === 'stopped' ? 'stopped' : 'done', result, attempts: 0 });
  const trials = await mapLimit(members, 32, async ({ id, job: jobId, params, carriers }): Promise<TrialStatus> => {
    if (params === undefined) {
      // A slot of an adaptive sweep: waiting for a worker to suggest its trial.
      const job = queue ? await queue.getJob(jobId) : undefined;
      const state = job ? await stateOf(job) : 'unknown';
      return { id, state: state === 'failed' ? 'failed' : cancelled ? 'cancelled' : 'waiting', attempts: job?.attemptsMade ?? 0, failedReason: job?.failedReason || undefined };
    }
    const key = keys.result(sweep, id);
    const result = await readResult(key, listed === undefined && askStore!.has(id));
    if (result) return done(id, params, result);
    const job = queue ? await firstJob(queue, [jobId, ...(carriers ?? [])]) : undefined;
    if (!job) {
      const late = await readResult(key, true);
      if (late) return done(id, params, late);
      // No job (a lost Redis, a removed job): the store may still say why it last failed.
      const failure = listed === undefined || listed.has(keys.failure(sweep, id)) ? await readJson<TrialFailure>(store, keys.failure(sweep, id)) : undefined;
      if (cancelled) return { id, params, state: 'cancelled', attempts: 0 };
      return failure ? { id, params, state: 'failed', failedReason: failure.reason, attempts: failure.attempt } : { id, params, state: 'missing', attempts: 0 };
    }
    const jobState = await stateOf(job);
    const progress = isProgress(job.progress) ? job.progress : undefined;
    const base = { id, params, progress, attempts: job.attemptsMade, failedReason: job.failedReason || undefined };
    switch (jobState) {
      case 'active':
        return { ...base, state: 'running' };
      case 'failed':
        return { ...base, state: job.failedReason === CANCELLED_REASON ? 'cancelled' : 'failed' };
      case 'delayed':
        if (!paused.has(id)) return { ...base, state: 'retrying' };
        return { ...base, state: promoting.has(jobIdFor(sweep, id)) ? 'waiting' : 'paused', pausedAt: paused.get(id) };
      case 'completed': {
        const late = await readResult(key, true);
        // Completed in the queue but no result in the store: the store lost it; `sweep` re-runs it.
        return late ? done(id, params, late) : { ...base, state: 'missing' };
      }
      case 'unknown': {
        const late = await readResult(key, true);
        return late ? done(id, params, late) : { id, params, state: cancelled ? 'cancelled' : 'missing', attempts: 0 };
      }
      default:
        return { ...base, state: 'waiting' };
    }
  });
  const counts = Object.fromEntries(TRIAL_STATES.map((s) => [s, 0])) as Record<TrialState, number>;
  for (const t of trials) {
    counts[t.state] += 1;
    const promoted = promotions.get(t.id);
    if (promoted) t.promotedAt = promoted;
  }
  return { sweep, record, trials, counts };
}

/** Trials to ask the store about one by one, beyond which one listing of the sweep's keys is cheaper. */
const LIST_OVER_READS = 64;

/** A trial of the sweep (or an adaptive sweep's slot not suggested yet) and its job. */
interface Member {
  id: string;
  job: string;
  params?: TrialParams;
  carriers?: string[];
}

/**
 * The members of the sweeps read last, by what determines them (the sweep's spec and trial
 * ids): expanding a sweep again costs about 0.15 s per 10,000 trials, for every refresh of the
 * progress view and every scrape. A few entries: a process reads few sweeps.
 */
const memberCache = new Map<string, { key: string; members: Member[] }>();
const MEMBER_CACHE_SWEEPS = 16;

/**
 * The sweep's trials and their jobs: expanded from the spec, or for an adaptive sweep read
 * from its suggestion record, followed by its slots not suggested yet (up to run_cap).
 */
async function membersOf(record: SweepRecord, redis: Redis | undefined): Promise<Member[]> {
  if (isAdaptiveMethod(record.spec.method)) return slotMembers(record, redis);
  const key = JSON.stringify([record.spec, record.trial_ids]);
  const cached = memberCache.get(record.id);
  if (cached?.key === key) return cached.members;
  const members = expandedMembers(record);
  memberCache.delete(record.id);
  memberCache.set(record.id, { key, members });
  if (memberCache.size > MEMBER_CACHE_SWEEPS) memberCache.delete(memberCache.keys().next().value!);
  return members;
}

function expandedMembers(record: SweepRecord): Member[] {
  const sweep = record.id;
  const trials = expandSweep(record.spec);
  const params = new Map(trials.map((t) => [t.id, t.params]));
  // A trial without a job of its own may be finished on the way by a longer one of its run.
  const runs = groupByRun(trials);
  const carriersOf = (t: Trial) => (runs.get(runId(t.params, t.dataset)) ?? [])
    .filter((o) => o.params.epochs > t.params.epochs).sort((a, b) => b.params.epochs - a.params.epochs).map((o) => jobIdFor(sweep, o.id));
  const byId = new Map(trials.map((t) => [t.id, t]));
  return record.trial_ids.map((id) => {
    const trial = byId.get(id);
    return { id, job: jobIdFor(sweep, id), params: params.get(id), carriers: trial ? carriersOf(trial) : [] };
  });
}

/** An adaptive sweep's members: its suggested trials, read from Redis each time, and its open slots. */
async function slotMembers(record: SweepRecord, redis: Redis | undefined): Promise<Member[]> {
  const sweep = record.id;
  const entries = redis ? await readSuggestions(redis, sweep) : [];
  const filled = new Set(entries.map((e) => e.slot));
  const open = Array.from({ length: record.spec.run_cap ?? 0 }, (_, slot) => slot).filter((slot) => !filled.has(slot));
  return [
    ...entries.map((e) => ({ id: e.trial.id, job: slotJobId(sweep, e.slot), params: e.trial.params })),
    ...open.map((slot) => ({ id: `slot-${String(slot).padStart(5, '0')}`, job: slotJobId(sweep, slot) })),
  ];
}

/** The first of these jobs that exists. */
async function firstJob(queue: Queue<QueueJobData>, ids: readonly string[]) {
  for (const id of ids) {
    const job = await queue.getJob(id);
    if (job) return job;
  }
  return undefined;
}

/** True while `orchestrator cancel` holds for the sweep (until it is run again). */
async function sweepCancelled(redis: Redis | undefined, sweep: string): Promise<boolean> {
  return redis ? (await redis.exists(cancelKey(QUEUE_PREFIX, sweep))) > 0 : false;
}

/** True when nothing of the sweep is left to run: every trial done, stopped, paused (and not promoted), failed or cancelled. */
export function isSettled(status: SweepStatus): boolean {
  const c = status.counts;
  return c.running + c.waiting + c.retrying + c.missing === 0;
}

/** Fraction of the sweep's training done, counting running trials by their epochs and batches. */
export function sweepFraction(status: SweepStatus): number {
  if (status.trials.length === 0) return 1;
  let done = 0;
  for (const t of status.trials) {
    if (t.state === 'done' || t.state === 'stopped' || t.state === 'paused' || t.state === 'failed' || t.state === 'cancelled') done += 1;
    else if (t.progress && t.progress.epochs > 0) {
      const inEpoch = t.progress.batches > 0 ? t.progress.batch / t.progress.batches : 0;
      done += Math.min(1, (t.progress.epoch + inEpoch) / t.progress.epochs);
    }
  }
  return done / status.trials.length;
}

/** Each trial's hyperparameters, by trial id (slots not suggested yet have none). */
export function paramsByTrial(status: SweepStatus): Map<string, TrialParams> {
  return new Map(status.trials.flatMap((t) => (t.params ? [[t.id, t.params] as const] : [])));
}

/** What early termination did to a trial: stopped at a rung, paused at one now, or paused and promoted since. */
export function earlyTerminationOf(t: TrialStatus): { how: 'stopped' | 'paused' | 'promoted'; epochs: number[] } | undefined {
  if (t.result?.stopped_at !== undefined) return { how: 'stopped', epochs: [t.result.stopped_at] };
  if (t.state === 'paused' && t.pausedAt !== undefined) return { how: 'paused', epochs: [t.pausedAt] };
  if (t.promotedAt && t.promotedAt.length > 0) return { how: 'promoted', epochs: t.promotedAt };
  return undefined;
}
