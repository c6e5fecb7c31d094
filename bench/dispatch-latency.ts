/**
 * Dispatch latency: job added -> job started, with several idle BullMQ workers, each in a
 * process of its own with its own Redis connection (bench/dispatch-worker.ts). Jobs go one at
 * a time, each after the previous finished, so every job finds all workers idle.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Queue, QueueEvents } from 'bullmq';
import type { DispatchJobResult } from './dispatch-worker.js';
import { median, percentile, round, wallClockMs } from './stats.js';

const WORKER_ENTRY = fileURLToPath(new URL('./dispatch-worker.ts', import.meta.url));
const QUEUE = 'bench-dispatch';

export interface DispatchLatencyResult {
  workers: number;
  workerKind: string;
  jobs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  medianMs: number;
  /** Distinct worker processes that ran jobs. */
  workersUsed: number;
}

function startDispatchWorker(redisUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY, redisUrl, QUEUE], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('ready\n')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`dispatch worker exited (code ${code}) before it was ready`)));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function measureDispatchLatency(redisUrl: string, options: { workers: number; jobs: number }): Promise<DispatchLatencyResult> {
  const children: ChildProcess[] = [];
  const queue = new Queue(QUEUE, { connection: { url: redisUrl } });
  const events = new QueueEvents(QUEUE, { connection: { url: redisUrl } });
  try {
    await events.waitUntilReady();
    children.push(...(await Promise.all(Array.from({ length: options.workers }, () => startDispatchWorker(redisUrl)))));
    // Let every worker reach its blocking wait for jobs.
    await sleep(1000);
    const latencies: number[] = [];
    const pids = new Set<number>();
    for (let i = 0; i < options.jobs; i++) {
      const addedAt = wallClockMs();
      // Kept after completion: waitUntilFinished fails on a job removed before it looks.
      const job = await queue.add('noop', { i });
      const result = (await job.waitUntilFinished(events, 30_000)) as DispatchJobResult;
      latencies.push(result.startedAt - addedAt);
      pids.add(result.pid);
      await sleep(20);
    }
    return {
      workers: options.workers,
      workerKind: 'separate Node processes, one BullMQ Worker each (own connection, concurrency 1, no-op processor)',
      jobs: options.jobs,
      p50Ms: round(percentile(latencies, 50), 2),
      p95Ms: round(percentile(latencies, 95), 2),
      maxMs: round(Math.max(...latencies), 2),
      medianMs: round(median(latencies), 2),
      workersUsed: pids.size,
    };
  } finally {
    await Promise.all(children.map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      const force = setTimeout(() => c.kill('SIGKILL'), 10_000);
      c.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      c.kill('SIGTERM');
    })));
    await events.close();
    await queue.close();
  }
}
