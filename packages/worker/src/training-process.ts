import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EpochRecord, StopReason, StoreConfig, TrainJobData, TrainProgress, TrialResult } from '@denoise-sweep/shared';
import { stopReasonOf } from '@denoise-sweep/shared';
import type { FromChild, ToChild } from './child-messages.js';
import type { Logger } from './logger.js';
import { TrainingFailedError } from './training-failure.js';

export type TrainingOutcome =
  | { status: 'completed'; result: TrialResult; tensors: number }
  | { status: 'stopped'; reason: StopReason; epochsDone: number; tensors: number };

export interface TrainRequest {
  jobId: string;
  data: TrainJobData;
  /** The store the trial writes to; the child opens its own connection to it. */
  store: StoreConfig;
  cacheDir: string;
  worker: string;
  /** The trial's logger ({ sweep, trial, attempt }): the child's log lines go through it. */
  log: Logger;
  /** Aborted to stop the trial after a checkpoint; its reason says why (see StopReason). */
  signal?: AbortSignal;
  onProgress: (progress: TrainProgress) => void;
  /** Early termination's decision at an epoch boundary (jobs with rungs only); undefined: go on. */
  onBoundary?: (epochsDone: number, history: readonly EpochRecord[]) => Promise<'pause' | 'early-stop' | undefined>;
}

const CHILD_ENTRY = fileURLToPath(new URL('./training-process-main.js', import.meta.url));

interface CurrentTrial {
  resolve: (o: TrainingOutcome) => void;
  reject: (e: Error) => void;
  request: TrainRequest;
}

/**
 * The parent's handle on one training child process, reused across jobs (the engine loads
 * once). If the child dies mid-trial, the attempt fails (retryable) and the trial is retried,
 * resuming from its checkpoint; the next trial gets a fresh child.
 */
export class TrainingProcess {
  private child: ChildProcess | undefined;
  private ready: Promise<{ engine: string; kernels: string }> | undefined;
  private current: CurrentTrial | undefined;
  /** Tensors alive in the child after its first trial: later trials must not grow it. */
  private baselineTensors: number | undefined;

  /** `observe` sees every message of the child (timings, checkpoints, memory), for metrics. */
  constructor(
    private readonly log: Logger,
    private readonly observe: (message: FromChild) => void = () => {},
  ) {}

  private start(): Promise<{ engine: string; kernels: string }> {
    const child = fork(CHILD_ENTRY, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    this.child = child;
    this.ready = new Promise((resolve, reject) => {
      child.on('message', (message: FromChild) => {
        this.observe(message);
        this.handle(message, child, resolve);
      });
      child.on('exit', (code, signal) => {
        this.child = undefined;
        this.ready = undefined;
        const why = `training child exited (${signal ?? `code ${code}`})`;
        reject(new Error(why));
        this.settle((c) => c.reject(new TrainingFailedError(`${why} during the trial; it will resume from its last checkpoint`, 'retryable')));
      });
    });
    return this.ready;
  }

  private handle(message: FromChild, child: ChildProcess, ready: (v: { engine: string; kernels: string }) => void): void {
    switch (message.type) {
      case 'ready':
        this.log.info('training child ready', { engine: message.engine, kernels: message.kernels, ...(message.device ? { device: message.device } : {}), passedOver: message.skipped, pid: child.pid });
        ready({ engine: message.engine, kernels: message.kernels });
        break;
      case 'progress':
        this.current?.request.onProgress(message.progress);
        break;
      case 'boundary': {
        const ask = this.current?.request.onBoundary;
        const answer = (cut: 'pause' | 'early-stop' | undefined) => this.send({ type: 'boundary-decision', epochsDone: message.epochsDone, cut });
        if (!ask) answer(undefined);
        else ask(message.epochsDone, message.history).then(answer, (error: Error) => {
          // Never reached: onBoundary retries until it decides or the trial is stopped.
          this.log.error('no rung decision; the trial goes on', { error: error.message });
          answer(undefined);
        });
        break;
      }
      case 'log':
        (this.current?.request.log ?? this.log)[message.level](message.message, message.fields);
        break;
      case 'done': {
        if (this.checkTensors(message.tensors)) this.log.warn('tensors leak across trials in the training child', { tensors: message.tensors, baseline: this.baselineTensors });
        this.settle((c) => c.resolve(message.status === 'completed'
          ? { status: 'completed', result: message.result, tensors: message.tensors }
          : { status: 'stopped', reason: message.reason, epochsDone: message.epochsDone, tensors: message.tensors }));
        break;
      }
      case 'failed':
        this.settle((c) => c.reject(new TrainingFailedError(message.message, message.kind)));
        break;
      default:
        break; // timings and checkpoints: for `observe` only
    }
  }

  private checkTensors(tensors: number): boolean {
    if (this.baselineTensors === undefined) {
      this.baselineTensors = tensors;
      return false;
    }
    return tensors > this.baselineTensors;
  }

  private settle(f: (c: CurrentTrial) => void): void {
    const current = this.current;
    this.current = undefined;
    if (current) f(current);
  }

  /** Trains one trial in the child; resolves 'stopped' once the signal aborted and the child checkpointed. */
  async train(request: TrainRequest): Promise<TrainingOutcome> {
    if (this.current) throw new Error('this training child is busy');
    await (this.ready ?? this.start());
    const { signal } = request;
    const onAbort = () => this.send({ type: 'stop', reason: stopReasonOf(signal!) });
    try {
      return await new Promise<TrainingOutcome>((resolve, reject) => {
        this.current = { resolve, reject, request };
        this.send({ type: 'train', jobId: request.jobId, data: request.data, store: request.store, cacheDir: request.cacheDir, worker: request.worker });
        if (signal?.aborted) onAbort();
        else signal?.addEventListener('abort', onAbort, { once: true });
      });
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private send(message: ToChild): void {
    if (this.child?.connected) this.child.send(message);
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Kills the child at once, without waiting (the process is about to exit). */
  kill(): void {
    this.child?.kill('SIGKILL');
  }

  /** Ends the child: politely when idle, at once when forced. */
  async close(force = false): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (force) child.kill('SIGKILL');
    else child.disconnect();
    await exited;
  }
}
