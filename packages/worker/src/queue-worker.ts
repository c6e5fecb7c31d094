import { hostname } from 'node:os';
import type { EpochRecord, QueueJobData, StoreConfig, TrainJobData, TrainJobResult, TrialFailure, TrialResult } from '@denoise-sweep/shared';
import {
  ArtifactKeys, CANCELLED_REASON, SweepSpecError, QUEUE_NAME, QUEUE_PREFIX, cancelKey, clearPaused, decideAtRung, decisionAt, markPaused, outcomeAfterRung, pausedAt,
  pendingPromotions, promotionDone, readJson, recordOutcome, searchPolicyOf, suggestForSlot, trialRungs, validateSlotJobData,
  validateTrainJobData,
} from '@denoise-sweep/shared';
import type { ObjectStore } from '@denoise-sweep/shared';
import type { Job } from 'bullmq';
import { DelayedError, Queue, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from './logger.js';
import type { WorkerMetrics } from './worker-metrics.js';
import { TrainingFailedError } from './training-failure.js';
import type { TrainingOutcome } from './training-process.js';
import { TrainingProcess } from './training-process.js';

export interface QueueWorkerOptions {
  redisUrl: string;
  /** Where the trials write (each training child opens it too). */
  storeConfig: StoreConfig;
  /** The store opened from storeConfig, for this process's own reads and writes. */
  store: ObjectStore;
  /** Trials trained at once, each in its own child process (one per GPU). @defaultValue 1 */
  concurrency: number;
  /** Local dataset cache. */
  cacheDir: string;
  log: Logger;
  /** How long a job lock lasts without renewal; a dead worker's trial is taken over after it. @defaultValue 30000 */
  lockDurationMs?: number;
  /** How often stalled jobs (of dead workers) are looked for. @defaultValue 30000 */
  stalledIntervalMs?: number;
  /** Where timings, counts and memory go. */
  metrics?: WorkerMetrics;
}

/** How often the sweeps of running trials are checked for `orchestrator cancel`, and promotions carried out. */
const CANCEL_CHECK_MS = 2000;
/**
 * A paused trial's job waits in BullMQ's delayed set until it is promoted; this delay only
 * keeps it there (BullMQ's delayed scores must stay below 2^53 / 4096 ms).
 */
const PAUSE_MS = 365 * 24 * 3600 * 1000;

/**
 * Pulls training jobs from the queue and trains each in a child process. The parent only
 * renews locks and relays progress, so its event loop is never blocked by training.
 *
 * Every stop goes one way: BullMQ's AbortSignal for the job, aborted with a StopReason
 * (`Worker.cancelAllJobs('shutdown')` on close, `Worker.cancelJob(id, 'cancel')` when the
 * trial's sweep is cancelled), passed to the training child, which checkpoints and stops.
 */
export class QueueWorker {
  private readonly workerName = `${hostname()}-${process.pid}`;
  private readonly keys: ArtifactKeys;
  private readonly processes: TrainingProcess[];
  private readonly connection: Redis;
  private readonly control: Redis;
  private worker: Worker<QueueJobData, TrainJobResult> | undefined;
  private closing = false;
  /** Running jobs and their sweeps, for the cancel check. */
  private readonly running = new Map<string, string>();
  private cancelCheck: NodeJS.Timeout | undefined;
  /** For promotions: moves paused jobs back to the queue. */
  private queue: Queue<QueueJobData> | undefined;
  /** Rung decisions run one at a time: each is a WATCH/MULTI transaction on the control connection. */
  private rungChain: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: QueueWorkerOptions) {
    this.keys = new ArtifactKeys();
    this.processes = Array.from({ length: options.concurrency }, (_, slot) =>
      new TrainingProcess(options.log, (message) => options.metrics?.observe(slot, message)));
    this.connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
    this.control = new Redis(options.redisUrl, { maxRetriesPerRequest: 3, lazyConnect: true });
    for (const redis of [this.connection, this.control]) {
      redis.on('error', (err: Error) => options.log.warn('redis connection error', { error: err.message }));
    }
  }

  get name(): string {
    return this.workerName;
  }

  async start(): Promise<void> {
    await Promise.all([this.connection.connect(), this.control.connect()]);
    // A processor that declares the third parameter gets BullMQ's AbortSignal.
    this.worker = new Worker<QueueJobData, TrainJobResult>(QUEUE_NAME, (job, token, signal) => this.process(job, token, signal), {
      connection: this.connection,
      prefix: QUEUE_PREFIX,
      concurrency: this.options.concurrency,
      lockDuration: this.options.lockDurationMs ?? 30_000,
      stalledInterval: this.options.stalledIntervalMs ?? 30_000,
      // A trial whose worker died is resumed from its checkpoint; a few deaths are no reason to give up.
      maxStalledCount: 5,
      autorun: true,
    });
    this.worker.on('error', (err) => this.options.log.warn('queue worker error', { error: err.message }));
    this.queue = new Queue<QueueJobData>(QUEUE_NAME, { connection: this.control, prefix: QUEUE_PREFIX });
    this.cancelCheck = setInterval(() => {
      void this.checkCancelledSweeps();
      void this.carryOutPromotions();
    }, CANCEL_CHECK_MS);
  }

  /**
   * Moves back to the queue the paused jobs whose promotion is decided: normally the worker
   * that decided does it at once; this catches a worker that died in between.
   */
  private async carryOutPromotions(): Promise<void> {
    let jobs: string[];
    try {
      jobs = await pendingPromotions(this.control);
    } catch {
      return; // Redis unreachable: the next check tries again
    }
    for (const id of jobs) await this.promote(id).catch((err: Error) => this.options.log.warn('could not promote a paused trial', { job: id, error: err.message }));
  }

  /** Puts a paused job whose promotion is decided back in the queue; a no-op for any other job. */
  private async promote(id: string): Promise<void> {
    const job = await this.queue?.getJob(id);
    if (!job) {
      await promotionDone(this.control, id);
      return;
    }
    const data = job.data;
    if (!data.trial) {
      await promotionDone(this.control, id); // a slot not suggested yet was never paused
      return;
    }
    const rung = await pausedAt(this.control, data.sweep, data.trial.id);
    const state = await job.getState();
    if (state === 'active' && rung !== undefined) return; // still being paused: its worker re-checks, or the next round does
    if (state === 'delayed' && rung !== undefined && data.rungs) {
      const { bracket } = trialRungs(data.rungs.early_terminate, data.trial.id, data.trial.params.epochs);
      if (await decisionAt(this.control, data.sweep, data.trial.id, bracket, rung) === 'promoted') {
        await clearPaused(this.control, data.sweep, data.trial.id);
        await job.promote();
        this.options.metrics?.rungDecisions.inc({ decision: 'promoted-resumed' });
        this.options.log.info('paused trial promoted: back in the queue', { sweep: data.sweep, trial: data.trial.id, rung });
      }
    }
    await promotionDone(this.control, id);
  }

  /**
   * Early termination at an epoch boundary: at one of the trial's rungs, records its metric and
   * takes the decision in Redis, retrying while Redis is unreachable (until the trial is stopped).
   */
  private async decideAtBoundary(data: TrainJobData, jobId: string, epochsDone: number, history: readonly EpochRecord[], signal: AbortSignal | undefined, log: Logger): Promise<'pause' | 'early-stop' | undefined> {
    const policy = data.rungs;
    const record = history[epochsDone - 1];
    if (!policy || !record) return undefined;
    const { bracket, rungs } = trialRungs(policy.early_terminate, data.trial.id, data.trial.params.epochs);
    if (!rungs.includes(epochsDone)) return undefined;
    const value = record[policy.metric.name];
    const loss = policy.metric.goal === 'maximize' ? -value : value;
    const report = { sweep: data.sweep, trial: data.trial.id, job: jobId, bracket, rung: epochsDone, loss };
    for (let attempt = 0; ; attempt++) {
      try {
        const outcome = await this.serialized(() => decideAtRung(this.control, policy.early_terminate, report));
        this.options.metrics?.rungDecisions.inc({ decision: outcome.decision });
        log.info('rung decision', { rung: epochsDone, bracket, [policy.metric.name]: value, decision: outcome.decision, promoted: outcome.promoted });
        for (const id of outcome.promoted) await this.promote(id).catch((err: Error) => log.warn('could not promote a paused trial now; retried shortly', { job: id, error: err.message }));
        const searchOutcome = outcomeAfterRung(outcome.decision, value, epochsDone);
        if (searchOutcome) await this.recordSearchOutcome(data, searchOutcome, log);
        if (outcome.decision === 'paused') return 'pause';
        return outcome.decision === 'stopped' ? 'early-stop' : undefined;
      } catch (error) {
        if (signal?.aborted) return undefined; // the trial stops and takes the decision when it resumes
        log.warn('could not take the rung decision; retrying', { error: (error as Error).message, attempt });
        await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 500 * 2 ** attempt)));
      }
    }
  }

  private serialized<T>(f: () => Promise<T>): Promise<T> {
    const run = this.rungChain.then(f, f);
    this.rungChain = run.catch(() => {});
    return run;
  }

  /** Takes a paused trial's job off the queue until it is promoted (at once, if that was decided meanwhile). */
  private async pause(job: Job<QueueJobData, TrainJobResult>, token: string | undefined, data: TrainJobData, rung: number, log: Logger): Promise<never> {
    await markPaused(this.control, data.sweep, data.trial.id, rung);
    await job.moveToDelayed(Date.now() + PAUSE_MS, token);
    log.info('trial paused at its rung: checkpoint kept, worker freed', { rung });
    // A promotion decided while the job was still active could not move it: carry it out here.
    await this.promote(job.id ?? '');
    throw new DelayedError();
  }

  /** Aborts the signal of every running trial whose sweep `orchestrator cancel` marked. */
  private async checkCancelledSweeps(): Promise<void> {
    for (const sweep of new Set(this.running.values())) {
      let cancelled: number;
      try {
        cancelled = await this.control.exists(cancelKey(QUEUE_PREFIX, sweep));
      } catch {
        return; // Redis unreachable: the next check tries again
      }
      if (cancelled === 0) continue;
      for (const [jobId, jobSweep] of this.running) {
        if (jobSweep === sweep && this.worker?.cancelJob(jobId, 'cancel')) this.options.log.info('sweep cancelled: stopping the trial after a checkpoint', { sweep, job: jobId });
      }
    }
  }

  private idleProcess(): TrainingProcess {
    const idle = this.processes.find((p) => !p.busy);
    if (!idle) throw new Error('no idle training process: concurrency mismatch');
    return idle;
  }

  private async process(job: Job<QueueJobData, TrainJobResult>, token: string | undefined, signal: AbortSignal | undefined): Promise<TrainJobResult> {
    let data: TrainJobData;
    try {
      data = validateTrainJobData(await this.trialOf(job), `job ${job.id}`);
    } catch (error) {
      if (!(error instanceof SweepSpecError)) throw error; // Redis or the store: retry later
      this.options.log.error('invalid job payload: failing it without retry', { job: job.id, error: (error as Error).message });
      throw new UnrecoverableError(`invalid job payload: ${(error as Error).message}`);
    }
    const log = this.options.log.child({ sweep: data.sweep, trial: data.trial.id, attempt: job.attemptsMade + 1, job: job.id });
    if (this.closing) {
      await job.moveToWait(token);
      throw new WaitingError();
    }
    const resultKey = this.keys.result(data.sweep, data.trial.id);
    const existing = await readJson<TrialResult>(this.options.store, resultKey);
    if (existing) {
      // The store is the source of truth: a trial with a result is done, whatever the queue says.
      log.info('trial already has a result; not training it again');
      return summary(existing, resultKey);
    }

    const trainer = this.idleProcess();
    log.info('training trial', { params: data.trial.params, dataset: data.trial.dataset });
    const metrics = this.options.metrics;
    metrics?.trialsStarted.inc();
    metrics?.activeTrials.inc();
    const jobId = job.id ?? '';
    this.running.set(jobId, data.sweep);
    let outcome: TrainingOutcome;
    try {
      outcome = await trainer.train({
        jobId,
        data,
        store: this.options.storeConfig,
        cacheDir: this.options.cacheDir,
        worker: this.workerName,
        log,
        signal,
        onBoundary: data.rungs ? (epochsDone, history) => this.decideAtBoundary(data, jobId, epochsDone, history, signal, log) : undefined,
        onProgress: (progress) => {
          job.updateProgress(progress).catch((err: Error) => log.warn('could not report progress', { error: err.message }));
        },
      });
    } catch (error) {
      const unrecoverable = error instanceof TrainingFailedError && error.kind === 'unrecoverable';
      metrics?.trialsFailed.inc({ reason: unrecoverable ? 'unrecoverable' : 'error' });
      log.error('trial failed', { error: (error as Error).message, unrecoverable });
      await this.recordFailure(data, job, (error as Error).message, unrecoverable, log);
      if (unrecoverable || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await this.recordSearchOutcome(data, { state: 'failed' }, log);
      if (unrecoverable) throw new UnrecoverableError((error as Error).message);
      throw error;
    } finally {
      this.running.delete(jobId);
      metrics?.activeTrials.dec();
    }

    if (outcome.status === 'stopped') {
      metrics?.trialsStopped.inc({ reason: outcome.reason });
      switch (outcome.reason) {
        case 'cancel':
          throw new UnrecoverableError(CANCELLED_REASON);
        case 'shutdown':
          // Hand the trial back at once, without spending an attempt: another worker resumes it.
          log.info('trial checkpointed and handed back to the queue', { epochsDone: outcome.epochsDone });
          await job.moveToWait(token);
          throw new WaitingError();
        case 'pause':
          return this.pause(job, token, data, outcome.epochsDone, log);
        case 'early-stop':
          // The child reports an early stop as completed, with a result whose status is 'stopped'.
          throw new Error('internal: an early-stopped trial came back without its result');
      }
    }
    metrics?.trialsCompleted.inc();
    const metricName = (data.search ?? data.checkpoints)?.metric.name ?? 'val_loss';
    await this.recordSearchOutcome(data, { state: outcome.result.status, value: outcome.result.final[metricName], epoch: outcome.result.epochs_completed }, log);
    log.info('trial completed', { val_loss: outcome.result.final.val_loss, psnr: outcome.result.final.psnr });
    return summary(outcome.result, resultKey);
  }

  /**
   * The job's payload with its trial: as enqueued, or for a slot of an adaptive sweep the trial
   * suggested for it now, from everything known (kept in the job, so a retried or promoted
   * slot trains the same trial). Its config.json is written when it starts, as for any trial.
   */
  private async trialOf(job: Job<QueueJobData, TrainJobResult>): Promise<unknown> {
    const raw: unknown = job.data;
    if (typeof raw !== 'object' || raw === null || !('slot' in raw) || ('trial' in raw && raw.trial !== undefined)) return raw;
    const slotData = validateSlotJobData(raw, `job ${job.id}`);
    const policy = searchPolicyOf(slotData.search, `job ${job.id}`);
    const entry = await this.serialized(() => suggestForSlot(this.control, slotData.sweep, slotData.slot, policy));
    if (!entry) throw new UnrecoverableError('the search space has no configuration left to suggest: lower run_cap or widen the parameters');
    const { trial } = entry;
    // The store keeps a copy of the record, from which a sweep run again restores a lost Redis.
    await this.options.store.put(this.keys.suggestion(slotData.sweep, entry.index), JSON.stringify(entry, null, 2));
    const data = { ...slotData, trial };
    await job.updateData(data);
    this.options.metrics?.suggestions.inc({ method: policy.method });
    this.options.log.info('trial suggested', { sweep: slotData.sweep, slot: slotData.slot, trial: trial.id, method: policy.method, params: trial.params });
    return data;
  }

  /** For the suggestions after it: how an adaptive sweep's trial ended, paused or failed. */
  private async recordSearchOutcome(data: TrainJobData, outcome: Parameters<typeof recordOutcome>[3], log: Logger): Promise<void> {
    if (!data.search) return;
    await recordOutcome(this.control, data.sweep, data.trial.id, outcome).catch((err: Error) => log.warn('could not record the trial\'s outcome for the search', { error: err.message }));
  }

  /** Writes failure.json so the reason outlives the queue (a lost Redis, removed jobs). */
  private async recordFailure(data: TrainJobData, job: Job<QueueJobData, TrainJobResult>, reason: string, unrecoverable: boolean, log: Logger): Promise<void> {
    const failure: TrialFailure = {
      format: 1,
      sweep: data.sweep,
      trial: data.trial.id,
      attempt: job.attemptsMade + 1,
      attempts: job.opts.attempts ?? 1,
      reason,
      unrecoverable,
      worker: this.workerName,
      failed_at: new Date().toISOString(),
    };
    try {
      await this.options.store.put(this.keys.failure(data.sweep, data.trial.id), JSON.stringify(failure, null, 2));
    } catch (error) {
      log.warn('could not record the failure in the store', { error: (error as Error).message });
    }
  }

  /**
   * Kills the training children at once, without a word to Redis (which may be unreachable):
   * for a process about to exit. Their trials are taken over after their locks expire.
   */
  kill(): void {
    for (const p of this.processes) p.kill();
  }

  /**
   * Graceful: running trials checkpoint at their next batch and go back to the queue, then the
   * worker exits. Forced: children are killed; their trials are taken over after the lock expires.
   */
  async close(force = false): Promise<void> {
    this.closing = true;
    clearInterval(this.cancelCheck);
    if (force) await Promise.all(this.processes.map((p) => p.close(true)));
    else this.worker?.cancelAllJobs('shutdown');
    await this.worker?.close(force);
    await Promise.all(this.processes.map((p) => p.close(force)));
    await this.queue?.close();
    this.control.disconnect();
    this.connection.disconnect();
  }
}

function summary(result: TrialResult, resultKey: string): TrainJobResult {
  return {
    result_key: resultKey,
    val_loss: result.final.val_loss,
    psnr: result.final.psnr,
    ssim: result.final.ssim,
    epochs_completed: result.epochs_completed,
  };
}
