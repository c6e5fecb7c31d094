import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { S3Location, TrainJobData, TrainProgress, TrialResult } from '@denoise-sweep/shared';
import type { FromChild, ToChild } from './child-messages.js';
import type { Logger } from './logger.js';

export type TrainingOutcome =
  | { status: 'completed'; result: TrialResult; tensors: number }
  | { status: 'stopped'; epochsDone: number; tensors: number };

/** Training failed in a way that retrying cannot fix (invalid payload, diverged loss). */
export class UnrecoverableTrainingError extends Error {
  override name = 'UnrecoverableTrainingError';
}

export interface TrainRequest {
  jobId: string;
  data: TrainJobData;
  s3: S3Location;
  cacheDir: string;
  worker: string;
  onProgress: (progress: TrainProgress) => void;
}

const CHILD_ENTRY = fileURLToPath(new URL('./trainer-child.js', import.meta.url));

/**
 * One training child process, reused across jobs (the engine loads once). If the child dies
 * mid-trial, the trial fails for this attempt and is retried, resuming from its checkpoint;
 * the next trial gets a fresh child.
 */
export class TrainerProcess {
  private child: ChildProcess | undefined;
  private ready: Promise<{ engine: string; kernels: string }> | undefined;
  private current: { resolve: (o: TrainingOutcome) => void; reject: (e: Error) => void; onProgress: TrainRequest['onProgress'] } | undefined;
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
        switch (message.type) {
          case 'ready':
            this.log.info('training child ready', { engine: message.engine, kernels: message.kernels, passedOver: message.skipped, pid: child.pid });
            resolve({ engine: message.engine, kernels: message.kernels });
            break;
          case 'progress':
            this.current?.onProgress(message.progress);
            break;
          case 'log':
            this.log[message.level](message.message);
            break;
          case 'done': {
            const leaked = this.checkTensors(message.tensors);
            if (leaked) this.log.warn('tensors leak across trials in the training child', { tensors: message.tensors, baseline: this.baselineTensors });
            this.settle((c) => c.resolve(message.status === 'completed'
              ? { status: 'completed', result: message.result, tensors: message.tensors }
              : { status: 'stopped', epochsDone: message.epochsDone, tensors: message.tensors }));
            break;
          }
          case 'failed':
            this.settle((c) => c.reject(message.unrecoverable ? new UnrecoverableTrainingError(message.message) : new Error(message.message)));
            break;
        }
      });
      child.on('exit', (code, signal) => {
        this.child = undefined;
        this.ready = undefined;
        const why = `training child exited (${signal ?? `code ${code}`})`;
        reject(new Error(why));
        this.settle((c) => c.reject(new Error(`${why} during the trial; it will resume from its last checkpoint`)));
      });
    });
    return this.ready;
  }

  private checkTensors(tensors: number): boolean {
    if (this.baselineTensors === undefined) {
      this.baselineTensors = tensors;
      return false;
    }
    return tensors > this.baselineTensors;
  }

  private settle(f: (c: NonNullable<TrainerProcess['current']>) => void): void {
    const current = this.current;
    this.current = undefined;
    if (current) f(current);
  }

  /** Trains one trial in the child; resolves 'stopped' when asked to stop and checkpointed. */
  async train(request: TrainRequest): Promise<TrainingOutcome> {
    if (this.current) throw new Error('this training child is busy');
    await (this.ready ?? this.start());
    return new Promise<TrainingOutcome>((resolve, reject) => {
      this.current = { resolve, reject, onProgress: request.onProgress };
      const message: ToChild = { type: 'train', jobId: request.jobId, data: request.data, s3: request.s3, cacheDir: request.cacheDir, worker: request.worker };
      this.child?.send(message);
    });
  }

  /** Asks the running trial to checkpoint at the next batch boundary and stop. */
  stop(reason: 'shutdown' | 'cancel'): void {
    const message: ToChild = { type: 'stop', reason };
    if (this.child?.connected) this.child.send(message);
  }

  get busy(): boolean {
    return this.current !== undefined;
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
