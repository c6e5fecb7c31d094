/**
 * Section 'queue' (issue 3): time to enqueue 10,000 trials, what reading the status of such a
 * sweep costs in a busy queue, and dispatch latency (job added -> job started) with several idle
 * workers, against a real redis-server (append-only file on,
 * as local mode runs it) and s3rver.
 */
import { publishDataset, fashionMnistDir } from '@denoise-sweep/shared';
import { startBenchServices } from './bench-services.js';
import { measureDispatchLatency, type DispatchLatencyResult } from './dispatch-latency.js';
import { measureEnqueue, type EnqueueThroughputResult } from './enqueue-throughput.js';
import { measureStatusAtScale, type StatusAtScaleResult } from './status-at-scale.js';
import { openTrialQueue } from './trial-queue.js';

export interface QueueSectionResult {
  enqueue: EnqueueThroughputResult;
  status: StatusAtScaleResult;
  dispatch: DispatchLatencyResult;
}

export async function runQueueSection(quick: boolean, log: (line: string) => void): Promise<QueueSectionResult> {
  const services = await startBenchServices();
  const tq = await openTrialQueue(services.redis.url).catch(async (error: unknown) => {
    await services.stop();
    throw error;
  });
  try {
    const dataset = await publishDataset(services.store, services.keys, fashionMnistDir());
    const enqueue = await measureEnqueue(services, tq, dataset, quick ? 2_000 : 10_000, log);
    const status = await measureStatusAtScale(services, tq, enqueue.s3SweepId, log);
    const workers = 4;
    const jobs = quick ? 50 : 300;
    log(`dispatch latency: ${workers} idle worker processes, ${jobs} jobs added one at a time`);
    const dispatch = await measureDispatchLatency(services.redis.url, { workers, jobs });
    log(`  job added -> started: p50 ${dispatch.p50Ms} ms, p95 ${dispatch.p95Ms} ms, max ${dispatch.maxMs} ms (${dispatch.workersUsed} of ${workers} workers took jobs)`);
    return { enqueue, status, dispatch };
  } finally {
    await tq.close();
    await services.stop();
  }
}
