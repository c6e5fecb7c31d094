import { hostname } from 'node:os';
import type { StoreConfig, TrainJobData, TrainJobResult, TrialFailure, TrialResult } from '@denoise-sweep/shared';
import { ArtifactKeys, CANCELLED_REASON, QUEUE_NAME, QUEUE_PREFIX, cancelKey, readJson, validateTrainJobData } from '@denoise-sweep/shared';
import type { ObjectStore } from '@denoise-sweep/shared';
import type { Job } from 'bullmq';
import { UnrecoverableError, WaitingError, Worker } from 'bullmq';
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

/** How often the sweeps of running trials are checked for `orchestrator cancel`. */
const CANCEL_CHECK_MS = 2000;

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
  private worker: Worker<TrainJobData, TrainJobResult> | undefined;
  private closing = false;
  /** Running jobs and their sweeps, for the cancel check. */
  private readonly running = new Map<string, string>();
  private cancelCheck: NodeJS.Timeout | undefined;

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
    this.worker = new Worker<TrainJobData, TrainJobResult>(QUEUE_NAME, (job, token, signal) => this.process(job, token, signal), {
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
    this.cancelCheck = setInterval(() => void this.checkCancelledSweeps(), CANCEL_CHECK_MS);
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

  private async process(job: Job<TrainJobData, TrainJobResult>, token: string | undefined, signal: AbortSignal | undefined): Promise<TrainJobResult> {
    let data: TrainJobData;
    try {
      data = validateTrainJobData(job.data, `job ${job.id}`);
    } catch (error) {
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
        onProgress: (progress) => {
          job.updateProgress(progress).catch((err: Error) => log.warn('could not report progress', { error: err.message }));
        },
      });
    } catch (error) {
      const unrecoverable = error instanceof TrainingFailedError && error.kind === 'unrecoverable';
      metrics?.trialsFailed.inc({ reason: unrecoverable ? 'unrecoverable' : 'error' });
      log.error('trial failed', { error: (error as Error).message, unrecoverable });
      await this.recordFailure(data, job, (error as Error).message, unrecoverable, log);
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
      }
    }
    metrics?.trialsCompleted.inc();
    log.info('trial completed', { val_loss: outcome.result.final.val_loss, psnr: outcome.result.final.psnr });
    return summary(outcome.result, resultKey);
  }

  /** Writes failure.json so the reason outlives the queue (a lost Redis, removed jobs). */
  private async recordFailure(data: TrainJobData, job: Job<TrainJobData, TrainJobResult>, reason: string, unrecoverable: boolean, log: Logger): Promise<void> {
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
