/**
 * Section 'scale' (issue 14): how the queue behaves with many workers against one Redis and one
 * store. 64 and 128 synthetic workers (bench/scale-worker.ts: the product's queue options and
 * store code, trials of fixed duration that checkpoint and report every epoch but train
 * nothing), in several processes, take a sweep enqueued by enqueueSweep. Reported per size:
 * scaling efficiency (ideal makespan over measured), where a trial's time beyond its epochs
 * went (before, between, after them; alone and at scale), dispatch latency (a free worker's idle
 * time before its next job, and job added -> started for the first wave), Redis commands and
 * memory per 1,000 trials, store requests per trial, and the exporter's scrape time
 * (SweepExporter over the same Redis and store, scraped every SCRAPE_SECONDS during the run;
 * the deployed Prometheus scrapes it every 30 s). 64 workers run three times, the target is
 * read on the median.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { enqueueSweep, SweepExporter } from '@denoise-sweep/orchestrator';
import { publishDataset, fashionMnistDir, QUEUE_NAME, QUEUE_PREFIX } from '@denoise-sweep/shared';
import type { Redis } from 'ioredis';
import { startBenchServices, type BenchServices } from './bench-services.js';
import { redisInfo } from './redis-info.js';
import { benchSweep } from './bench-sweep.js';
import type { ScaleJobRecord, ScaleWorkerConfig, ScaleWorkerReport, TrialPhases } from './scale-worker.js';
import { median, percentile, round, wallClockMs } from './stats.js';
import { openTrialQueue, type TrialQueue } from './trial-queue.js';
import { S3RVER_CREDENTIALS } from '../test/helpers/s3-server.js';

const WORKER_ENTRY = fileURLToPath(new URL('./scale-worker.ts', import.meta.url));
/** Issue 14's target at 64 workers. */
const TARGET_EFFICIENCY = 0.9;
const WORKERS_PER_PROCESS = 16;
/**
 * Runs at 64 workers (not quick), each on fresh services: this shared machine's speed drifts by
 * more than the target's margin within minutes, so the target is read on their median.
 */
const RUNS_AT_64 = 3;
const SCRAPE_SECONDS = 10;

interface ScaleRun {
  workers: number;
  processes: number;
  trials: number;
  epochs: number;
  epochSeconds: number;
  /** A trial's duration alone on the system (one worker, median of 3): its epochs plus its own store and queue I/O. */
  trialAloneSeconds: number;
  /** Trials per worker x trialAloneSeconds: every worker busy from the first job to the last, no contention. */
  idealSeconds: number;
  /** First job started -> last job finished. */
  makespanSeconds: number;
  efficiency: number;
  /** A free worker's wait before its next job (previous finished -> next started), ms. */
  idleGapMs: { p50: number; p95: number; max: number; samples: number };
  /** First job of each worker: added -> started, ms. */
  firstStartMs: { p50: number; p95: number; max: number };
  /** Redis commands processed during the run (INFO stats), per 1,000 trials; and per second. */
  redisCommandsPer1000Trials: number;
  redisCommandsPerSecond: number;
  /** Redis memory of the sweep's completed jobs (MEMORY USAGE of each job's keys), per 1,000 trials, MB. */
  redisMemoryMbPer1000Trials: number;
  /** used_memory of the whole server at the end, MB. */
  redisUsedMemoryMb: number;
  storeRequestsPerTrial: number;
  /** SweepExporter collection (a scrape) during the run, ms. */
  scrapeMs: { p50: number; max: number; samples: number };
  /** Series the exporter exposes once every trial has a result, and of those, per-trial series per trial. */
  exporterSeries: number;
  exporterSeriesPerTrial: number;
  /** Median trial duration (started -> finished) in this run. */
  trialSeconds: number;
  /** Where a trial's time beyond its epochs went (TrialPhases), ms, p50 and p95 over the run's trials; and for the trials alone. */
  phasesMs: Record<keyof TrialPhases, { p50: number; p95: number }>;
  phasesAloneMs: Record<keyof TrialPhases, { p50: number; p95: number }> | null;
  /** CPU seconds during the run, by component, and the machine's core-seconds over the same time. */
  cpuSeconds: { workers: number; s3rver: number; redis: number; benchProcess: number; machine: number };
}

export interface ScaleSectionResult {
  quick: boolean;
  runs: ScaleRun[];
  /** Each run's efficiency at 64 workers and their median; null when 64 was not run (quick). */
  efficiencyAt64: { runs: number[]; median: number } | null;
  /** Median efficiency at 64 workers >= TARGET_EFFICIENCY; null when 64 was not run (quick). */
  targetMet: boolean | null;
}

/** CPU seconds (user + system) of a process, from /proc. */
function processCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

function startScaleWorkers(config: ScaleWorkerConfig): { child: ChildProcess; ready: Promise<void>; report: Promise<ScaleWorkerReport> } {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  let out = '';
  let readyResolve: () => void;
  let readyReject: (e: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });
  const report = new Promise<ScaleWorkerReport>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('ready\n')) readyResolve();
    });
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line) as ScaleWorkerReport);
      else {
        const error = new Error(`scale workers exited (code ${code}) without a report`);
        readyReject(error);
        reject(error);
      }
    });
  });
  return { child, ready, report };
}

/** Memory of the sweep's jobs: each job's hash and its logs, and its entry in the completed set (approximated by the hash's id length). */
async function jobsMemoryBytes(redis: Redis, sweep: string): Promise<number> {
  const base = `${QUEUE_PREFIX}:${QUEUE_NAME}`;
  const ids = (await redis.zrange(`${base}:completed`, 0, -1)).filter((id) => id.startsWith(`${sweep}.`));
  const pipeline = redis.pipeline();
  for (const id of ids) {
    pipeline.memory('USAGE', `${base}:${id}`);
    pipeline.memory('USAGE', `${base}:${id}:logs`);
  }
  const replies = (await pipeline.exec()) ?? [];
  const keys = replies.reduce((sum, [, bytes]) => sum + (typeof bytes === 'number' ? bytes : 0), 0);
  // A sorted-set entry: the id, its score and the skiplist node (about 50 bytes of overhead).
  return keys + ids.reduce((sum, id) => sum + id.length + 50, 0);
}

interface SweepShape {
  workers: number;
  trialsPerWorker: number;
  epochs: number;
  epochSeconds: number;
}

function phaseStats(jobs: ScaleJobRecord[]): ScaleRun['phasesMs'] {
  const stat = (values: number[]) => ({ p50: round(percentile(values, 50), 1), p95: round(percentile(values, 95), 1) });
  return {
    startMs: stat(jobs.map((j) => j.phases.startMs)),
    epochsOverMs: stat(jobs.map((j) => j.phases.epochsOverMs)),
    endMs: stat(jobs.map((j) => j.phases.endMs)),
  };
}

const formatPhases = (p: ScaleRun['phasesMs']) =>
  `before the first epoch ${p.startMs.p50} / ${p.startMs.p95}, epochs beyond their duration ${p.epochsOverMs.p50} / ${p.epochsOverMs.p95}, after the last epoch ${p.endMs.p50} / ${p.endMs.p95} ms (p50 / p95)`;

/** A sweep of `shape` on fresh workers; `alone` is the run of one worker its ideal makespan comes from. */
async function scaleRun(services: BenchServices, tq: TrialQueue, shape: SweepShape, alone: ScaleRun | null, log: (line: string) => void): Promise<ScaleRun> {
  const trialAloneSeconds = alone?.trialSeconds ?? Number.NaN;
  const { workers, trialsPerWorker, epochs, epochSeconds } = shape;
  const name = `bench-scale-${workers}-${Date.now()}`;
  const trials = workers * trialsPerWorker;
  const { spec, trials: expanded } = benchSweep({
    name,
    method: 'grid',
    parameters: { seed: { values: Array.from({ length: trials }, (_, i) => i + 1) }, epochs: { value: epochs }, filters: { value: [8, 16] } },
    dataset: { train_limit: 1000, test_limit: 100 },
  });
  const dataset = await publishDataset(services.store, services.keys, fashionMnistDir());
  const processes = Math.ceil(workers / WORKERS_PER_PROCESS);
  const started = Array.from({ length: processes }, (_, p) => startScaleWorkers({
    redisUrl: services.redis.url,
    s3: { endpoint: services.s3.endpoint, bucket: 'bench', ...S3RVER_CREDENTIALS },
    workers: Math.min(WORKERS_PER_PROCESS, workers - p * WORKERS_PER_PROCESS),
    epochSeconds,
    checkpointBytes: 64 * 1024,
  }));
  const exporter = new SweepExporter({ store: services.store, keys: services.keys, queue: tq.queue, redis: tq.redis, version: 'bench', sweeps: [name], minRefreshMs: 0 });
  const scrapes: number[] = [];
  let reports: ScaleWorkerReport[] = [];
  try {
    await Promise.all(started.map((s) => s.ready));
    await new Promise((resolve) => setTimeout(resolve, 1000)); // every worker in its blocking wait
    const before = await redisInfo(tq.redis);
    const s3Before = processCpuSeconds(services.s3.pid);
    const benchBefore = process.cpuUsage();
    const t0 = wallClockMs();
    await enqueueSweep({ spec, trials: expanded, store: services.store, keys: services.keys, queue: tq.queue, redis: tq.redis, dataset });
    // Scrape while it runs (every SCRAPE_SECONDS), until every trial has a result.
    let nextScrape = wallClockMs() + SCRAPE_SECONDS * 1000;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (wallClockMs() >= nextScrape) {
        nextScrape += SCRAPE_SECONDS * 1000;
        const s0 = performance.now();
        await exporter.render();
        scrapes.push(performance.now() - s0);
      }
      const done = (await tq.redis.zrange(`${QUEUE_PREFIX}:${QUEUE_NAME}:completed`, 0, -1)).filter((id) => id.startsWith(`${name}.`)).length;
      if (done >= trials) break;
      if (wallClockMs() - t0 > 20 * 60_000) throw new Error(`scale run with ${workers} workers did not finish in 20 minutes`);
    }
    const after = await redisInfo(tq.redis);
    // One scrape with every trial done, also the only one of a run shorter than SCRAPE_SECONDS.
    const s0 = performance.now();
    const { body: exposition } = await exporter.render();
    scrapes.push(performance.now() - s0);
    const series = exposition.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    const trialSeries = series.filter((l) => l.includes(`trial="`)).length;
    const s3Cpu = processCpuSeconds(services.s3.pid) - s3Before;
    const benchCpu = process.cpuUsage(benchBefore);
    const wallSeconds = (wallClockMs() - t0) / 1000;
    for (const s of started) s.child.kill('SIGTERM');
    reports = await Promise.all(started.map((s) => s.report));
    const jobs: ScaleJobRecord[] = reports.flatMap((r) => r.jobs).filter((j) => j.job.startsWith(`${name}.`));
    if (jobs.length !== trials) throw new Error(`expected ${trials} trials run, got ${jobs.length}`);
    const first = Math.min(...jobs.map((j) => j.startedAt));
    const last = Math.max(...jobs.map((j) => j.finishedAt));
    const makespanSeconds = (last - first) / 1000;
    const idealSeconds = trialsPerWorker * trialAloneSeconds;
    const gaps = jobs.filter((j) => j.previousFinishedAt !== null).map((j) => j.startedAt - j.previousFinishedAt!);
    const firsts = jobs.filter((j) => j.previousFinishedAt === null).map((j) => j.startedAt - j.addedAt);
    const runSeconds = (last - t0) / 1000;
    const result: ScaleRun = {
      workers,
      processes,
      trials,
      epochs,
      epochSeconds,
      trialAloneSeconds: round(trialAloneSeconds, 3),
      idealSeconds: round(idealSeconds, 2),
      makespanSeconds: round(makespanSeconds, 2),
      efficiency: round(idealSeconds / makespanSeconds, 3),
      idleGapMs: { p50: round(percentile(gaps, 50), 1), p95: round(percentile(gaps, 95), 1), max: round(Math.max(...gaps), 1), samples: gaps.length },
      firstStartMs: { p50: round(percentile(firsts, 50), 1), p95: round(percentile(firsts, 95), 1), max: round(Math.max(...firsts), 1) },
      redisCommandsPer1000Trials: Math.round(((after.commands - before.commands) / trials) * 1000),
      redisCommandsPerSecond: Math.round((after.commands - before.commands) / runSeconds),
      redisMemoryMbPer1000Trials: round(((await jobsMemoryBytes(tq.redis, name)) / 1e6 / trials) * 1000, 2),
      redisUsedMemoryMb: round(after.memory / 1e6, 1),
      storeRequestsPerTrial: round(reports.reduce((a, r) => a + r.storeRequests, 0) / trials, 1),
      scrapeMs: { p50: round(median(scrapes), 1), max: round(Math.max(...scrapes), 1), samples: scrapes.length },
      exporterSeries: series.length,
      exporterSeriesPerTrial: round(trialSeries / trials, 2),
      trialSeconds: round(median(jobs.map((j) => (j.finishedAt - j.startedAt) / 1000)), 3),
      phasesMs: phaseStats(jobs),
      phasesAloneMs: alone?.phasesMs ?? null,
      cpuSeconds: {
        workers: round(reports.reduce((a, r) => a + r.cpuSeconds, 0), 1),
        s3rver: round(s3Cpu, 1),
        redis: round(after.cpuSeconds - before.cpuSeconds, 1),
        benchProcess: round((benchCpu.user + benchCpu.system) / 1e6, 1),
        machine: round(wallSeconds * availableParallelism(), 1),
      },
    };
    log(`  ${workers} workers (${processes} processes), ${trials} trials of ${epochs} x ${epochSeconds} s: makespan ${result.makespanSeconds} s, ideal ${result.idealSeconds} s (${trialsPerWorker} x ${result.trialAloneSeconds} s, a trial alone), `
      + `efficiency ${result.efficiency}; a trial took ${result.trialSeconds} s (median)`);
    log(`    a trial beyond its epochs: ${formatPhases(result.phasesMs)}; alone: ${result.phasesAloneMs ? formatPhases(result.phasesAloneMs) : 'not measured'}`);
    log(`    idle gap before a worker's next job p50 ${result.idleGapMs.p50} / p95 ${result.idleGapMs.p95} / max ${result.idleGapMs.max} ms; `
      + `first wave added -> started p50 ${result.firstStartMs.p50} / p95 ${result.firstStartMs.p95} ms`);
    log(`    Redis ${result.redisCommandsPer1000Trials} commands per 1,000 trials (${result.redisCommandsPerSecond}/s during the run), `
      + `${result.redisMemoryMbPer1000Trials} MB per 1,000 completed trials kept; store ${result.storeRequestsPerTrial} requests per trial; `
      + `exporter scrape (every ${SCRAPE_SECONDS} s) p50 ${result.scrapeMs.p50} / max ${result.scrapeMs.max} ms, ${result.exporterSeries} series (${result.exporterSeriesPerTrial} per trial)`);
    const c = result.cpuSeconds;
    log(`    CPU seconds: worker processes ${c.workers}, s3rver ${c.s3rver}, redis ${c.redis}, this process ${c.benchProcess}, of ${c.machine} core-seconds the machine had`);
    return result;
  } finally {
    for (const s of started) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    await Promise.allSettled(started.map((s) => s.report));
  }
}

export async function runScaleSection(quick: boolean, log: (line: string) => void): Promise<ScaleSectionResult> {
  const sizes = quick ? [16, 32] : [64, 128];
  const trialsPerWorker = quick ? 2 : 4;
  const epochs = 3;
  const epochSeconds = quick ? 0.5 : 2;
  log(`synthetic workers (${WORKERS_PER_PROCESS} per process, the product's queue options and store code, no training) against one redis-server and one s3rver; `
    + `${trialsPerWorker} trials per worker, ${epochs} epochs of ${epochSeconds} s, each epoch a checkpoint (CheckpointStore) with retention 'best', metrics.jsonl and a progress report`);
  const runs: ScaleRun[] = [];
  for (const workers of sizes.flatMap((w) => Array.from({ length: w === 64 ? RUNS_AT_64 : 1 }, () => w))) {
    const services = await startBenchServices();
    const tq = await openTrialQueue(services.redis.url).catch(async (error: unknown) => {
      await services.stop();
      throw error;
    });
    try {
      // A trial alone on the system first: one worker, 3 trials, the median duration.
      const alone = await scaleRun(services, tq, { workers: 1, trialsPerWorker: 3, epochs, epochSeconds }, null, () => {});
      runs.push(await scaleRun(services, tq, { workers, trialsPerWorker, epochs, epochSeconds }, alone, log));
    } finally {
      await tq.close();
      await services.stop();
    }
  }
  const at64 = runs.filter((r) => r.workers === 64).map((r) => r.efficiency);
  const efficiencyAt64 = at64.length === 0 ? null : { runs: at64, median: round(median(at64), 3) };
  const targetMet = efficiencyAt64 === null ? null : efficiencyAt64.median >= TARGET_EFFICIENCY;
  if (efficiencyAt64) log(`64 workers, ${at64.length} runs: efficiency ${at64.join(', ')}; median ${efficiencyAt64.median}`);
  log(`target, efficiency >= ${TARGET_EFFICIENCY} at 64 workers (median): ${targetMet === null ? 'not measured (quick)' : targetMet ? 'met' : 'NOT met'}`);
  return { quick, runs, efficiencyAt64, targetMet };
}
