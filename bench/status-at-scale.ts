/**
 * What `status`, `results`, `report` and an exporter scrape cost for a big sweep in a busy
 * queue: readSweepStatus of the 10,000-trial sweep the enqueue measurement left waiting among
 * the 30,000 jobs it enqueued, with every job's state from one read of the queue's lists and
 * sets (jobStates, as the product reads them), beside BullMQ's job.getState() per trial (as
 * earlier versions did: its LPOS scans the waiting list for each job), and the exporter's scrape
 * of the same sweep. Redis CPU comes from INFO cpu around each.
 */
import { readSweepStatus, SweepExporter } from '@denoise-sweep/orchestrator';
import { readJson } from '@denoise-sweep/shared';
import type { BenchServices } from './bench-services.js';
import { redisInfo } from './redis-info.js';
import { median, round } from './stats.js';
import type { TrialQueue } from './trial-queue.js';

interface StatusTiming {
  /** Wall time of one read of the sweep's status, s (median of the runs). */
  seconds: number;
  /** Redis CPU during it, s. */
  redisCpuSeconds: number;
  runs: number;
}

export interface StatusAtScaleResult {
  trials: number;
  /** Jobs in the queue's waiting list during the measurement. */
  waitingJobs: number;
  oneRead: StatusTiming;
  getStatePerJob: StatusTiming;
  /** SweepExporter.render() for the sweep (results cache cold). */
  scrapeSeconds: number;
}

export async function measureStatusAtScale(services: BenchServices, tq: TrialQueue, sweep: string, log: (line: string) => void): Promise<StatusAtScaleResult> {
  const record = await readJson<Parameters<typeof readSweepStatus>[0]>(services.store, services.keys.sweepJson(sweep));
  if (!record) throw new Error(`sweep ${sweep} has no sweep.json`);
  const waitingJobs = await tq.queue.getWaitingCount();
  const timed = async (runs: number, withRedis: boolean): Promise<StatusTiming> => {
    const seconds: number[] = [];
    let redisCpu = 0;
    let trials = 0;
    for (let i = 0; i < runs; i++) {
      const cpu0 = (await redisInfo(tq.redis)).cpuSeconds;
      const t0 = performance.now();
      // Without the Redis connection readSweepStatus asks BullMQ for each job's state.
      const status = await readSweepStatus(record, services.store, services.keys, tq.queue, new Map(), withRedis ? tq.redis : undefined);
      seconds.push((performance.now() - t0) / 1000);
      redisCpu += ((await redisInfo(tq.redis)).cpuSeconds) - cpu0;
      trials = status.trials.length;
      if (status.counts.waiting !== trials) throw new Error(`expected every trial of ${sweep} waiting, got ${JSON.stringify(status.counts)}`);
    }
    return { seconds: round(median(seconds), 3), redisCpuSeconds: round(redisCpu / runs, 3), runs };
  };
  const oneRead = await timed(3, true);
  const getStatePerJob = await timed(1, false);
  const exporter = new SweepExporter({ store: services.store, keys: services.keys, queue: tq.queue, redis: tq.redis, version: 'bench', sweeps: [sweep], minRefreshMs: 0 });
  const t0 = performance.now();
  await exporter.render();
  const scrapeSeconds = round((performance.now() - t0) / 1000, 3);
  const trials = record.trial_ids.length;
  log(`status of a ${trials}-trial sweep among ${waitingJobs} waiting jobs: ${oneRead.seconds} s, Redis ${oneRead.redisCpuSeconds} CPU-s (every state from one read; median of ${oneRead.runs}); `
    + `with job.getState() per trial ${getStatePerJob.seconds} s, Redis ${getStatePerJob.redisCpuSeconds} CPU-s (${round(getStatePerJob.redisCpuSeconds / Math.max(oneRead.redisCpuSeconds, 0.001), 0)}x); exporter scrape ${scrapeSeconds} s`);
  return { trials, waitingJobs, oneRead, getStatePerJob, scrapeSeconds };
}
