/**
 * Helper threads for the convolutions: each GEMM is split by output pixels between the
 * calling thread and `threads - 1` workers that share the operands through
 * SharedArrayBuffers. Kernels must return synchronously, so the caller blocks on
 * `Atomics.wait` until the helpers are done (allowed on Node's main thread).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { runConvThreadJob, type ConvThreadJob } from './conv-thread-job.js';

interface Helper {
  worker: Worker;
  port: MessagePort;
  control: Int32Array;
  generation: number;
}

/**
 * The worker entry: the compiled `conv-worker.js` beside this module, or, when this module
 * runs from its TypeScript sources (tests), the one in the package's `dist/` (build first).
 */
function workerEntry(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? '../dist/conv-worker.js' : './conv-worker.js', import.meta.url);
}

/** A helper's share of one convolution takes seconds at most; past this it is taken for dead. */
const DEFAULT_JOB_TIMEOUT_MS = 120_000;

export class ConvThreadPool {
  private readonly helpers: Helper[] = [];
  private readonly shared = new Map<string, Float32Array>();
  /** Set when a helper failed to answer: the pool must not be used again. */
  broken = false;
  /** How long `run` waits for a helper (a crashed one never answers; the caller is blocked). */
  jobTimeoutMs = DEFAULT_JOB_TIMEOUT_MS;

  /**
   * Starts `threads - 1` helpers and waits (synchronously, up to `startTimeoutMs`) until
   * they are ready; throws if one is not, so a broken install cannot deadlock a kernel.
   * @param threads - total threads including the caller's; at least 2.
   */
  constructor(readonly threads: number, startTimeoutMs = 20_000) {
    const url = workerEntry();
    if (!existsSync(fileURLToPath(url))) {
      throw new Error(`Convolution helper thread entry ${fileURLToPath(url)} is missing: build the package (npx tsc -b)`);
    }
    for (let i = 1; i < threads; i++) {
      const { port1, port2 } = new MessageChannel();
      const control = new Int32Array(new SharedArrayBuffer(12));
      const worker = new Worker(url, { workerData: { port: port2, control }, transferList: [port2] });
      worker.unref();
      port1.unref();
      this.helpers.push({ worker, port: port1, control, generation: 0 });
    }
    const deadline = performance.now() + startTimeoutMs;
    for (const h of this.helpers) {
      while (Atomics.load(h.control, 2) !== 1) {
        const left = deadline - performance.now();
        if (left <= 0) {
          void this.terminate();
          throw new Error(`Convolution helper threads did not start within ${startTimeoutMs} ms (is dist/conv-worker.js built?)`);
        }
        Atomics.wait(h.control, 2, 0, left);
      }
    }
  }

  /** A SharedArrayBuffer-backed array of at least `length` floats for `slot`, reused across calls. */
  sharedArray(slot: string, length: number): Float32Array {
    const existing = this.shared.get(slot);
    if (existing !== undefined && existing.length >= length) return existing.subarray(0, length);
    const fresh = new Float32Array(new SharedArrayBuffer(Math.max(length, Math.ceil((existing?.length ?? 0) * 1.5)) * 4));
    this.shared.set(slot, fresh);
    return fresh.subarray(0, length);
  }

  /** Copies `values` into the shared array of `slot`. */
  share(slot: string, values: Float32Array): Float32Array {
    const s = this.sharedArray(slot, values.length);
    s.set(values);
    return s;
  }

  /**
   * Runs `jobs[0]` on the calling thread and `jobs[i]` on helper `i - 1`; returns when all are
   * done. Throws, and marks the pool broken, when a helper fails or does not answer within
   * {@link jobTimeoutMs}: a helper that died (out of memory, terminated) would otherwise block
   * the calling thread forever, since its exit event cannot run while the caller waits.
   */
  run(jobs: readonly ConvThreadJob[]): void {
    if (this.broken) throw new Error('Convolution helper threads are broken: start a new pool');
    const started: Helper[] = [];
    jobs.slice(1).forEach((job, i) => {
      const h = this.helpers[i]!;
      h.port.postMessage(job);
      h.generation++;
      Atomics.store(h.control, 0, h.generation);
      Atomics.notify(h.control, 0);
      started.push(h);
    });
    if (jobs[0] !== undefined) runConvThreadJob(jobs[0]);
    const deadline = performance.now() + this.jobTimeoutMs;
    for (const h of started) {
      for (;;) {
        const v = Atomics.load(h.control, 1);
        if (v === h.generation) break;
        if (v === -h.generation) {
          this.broken = true;
          const message = receiveMessageOnPort(h.port)?.message;
          throw new Error(`Convolution helper thread failed: ${String(message)}`);
        }
        const left = deadline - performance.now();
        if (left <= 0) {
          this.broken = true;
          throw new Error(`Convolution helper thread did not finish within ${this.jobTimeoutMs} ms: it may have died (out of memory?)`);
        }
        Atomics.wait(h.control, 1, v, left);
      }
    }
  }

  /** Stops one helper without telling the pool, as a crash would (tests). */
  async killHelperForTest(index: number): Promise<void> {
    await this.helpers[index]?.worker.terminate();
  }

  /** Stops the helper threads. */
  async terminate(): Promise<void> {
    for (const h of this.helpers) {
      Atomics.store(h.control, 0, -1);
      Atomics.notify(h.control, 0);
      h.port.close();
    }
    await Promise.all(this.helpers.map((h) => h.worker.terminate()));
    this.helpers.length = 0;
    this.shared.clear();
  }
}
