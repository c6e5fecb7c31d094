import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { RuntimeConfig } from '@denoise-sweep/shared';
import { DEFAULT_BUCKET, DEFAULT_REGION } from '@denoise-sweep/shared';
import { findFreePort, startRedisServer, startS3Server } from './local/index.js';

/**
 * The embedded default: with no REDIS_URL, the orchestrator runs the whole system on this
 * machine from a state directory: its own redis-server (append-only file on), its own
 * S3-protocol store (s3rver, data on disk) and worker processes, all bound to 127.0.0.1.
 * Running again with the same state directory continues the same sweeps.
 */
export const DEFAULT_STATE_DIR = '.denoise-sweep';

/** s3rver's built-in credentials; nothing else can reach a store bound to 127.0.0.1. */
const LOCAL_S3_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' } as const;

export interface LocalServicesFile {
  pid: number;
  redisUrl: string;
  s3Endpoint: string;
  bucket: string;
  startedAt: string;
}

export interface LocalServices {
  config: RuntimeConfig;
  stateDir: string;
  /** Starts `count` worker processes; their logs go to <stateDir>/logs/, their metrics to free loopback ports. */
  startWorkers(count: number): Promise<void>;
  /** Writes <stateDir>/prometheus-targets.json (file_sd) listing the workers' and `extra` metrics endpoints. */
  writeScrapeTargets(extra: { job: string; url: string }[]): void;
  /** Metrics URLs of the workers started so far. */
  workerMetricsUrls: string[];
  /** Stops workers (they checkpoint first), then the store and Redis. */
  stop(): Promise<void>;
}

export function defaultWorkerCount(): number {
  // Each pure-JS training process keeps one core busy.
  return Math.max(1, Math.min(8, availableParallelism()));
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The services of a local sweep running right now from this state directory, if any. */
export function runningLocalServices(stateDir: string): LocalServicesFile | undefined {
  const file = join(stateDir, 'services.json');
  if (!existsSync(file)) return undefined;
  try {
    const services = JSON.parse(readFileSync(file, 'utf8')) as LocalServicesFile;
    return processAlive(services.pid) ? services : undefined;
  } catch {
    return undefined;
  }
}

function localConfig(redisUrl: string, s3Endpoint: string): RuntimeConfig {
  return { redisUrl, s3: { endpoint: s3Endpoint, bucket: DEFAULT_BUCKET, region: DEFAULT_REGION, prefix: '' } };
}

/** Sets the local store's credentials for this process's AWS SDK clients. */
function useLocalCredentials(): void {
  Object.assign(process.env, LOCAL_S3_CREDENTIALS);
}

/** Config for a command that needs a running local sweep's services, or undefined. */
export function attachToLocal(stateDir: string): RuntimeConfig | undefined {
  const running = runningLocalServices(stateDir);
  if (!running) return undefined;
  useLocalCredentials();
  return localConfig(running.redisUrl, running.s3Endpoint);
}

function workerBin(): string {
  if (process.env.DENOISE_SWEEP_WORKER_BIN) return process.env.DENOISE_SWEEP_WORKER_BIN;
  try {
    // A sibling program, found where npm installed it; not an import of its code.
    const pkg = createRequire(import.meta.url).resolve('@denoise-sweep/worker/package.json');
    return join(dirname(pkg), 'dist', 'bin.js');
  } catch {
    throw new Error('the worker program was not found: install @denoise-sweep/worker next to the orchestrator or set DENOISE_SWEEP_WORKER_BIN');
  }
}

/** Starts Redis and the S3-protocol store for a local sweep and records them in services.json. */
export async function startLocalServices(stateDirArg: string): Promise<LocalServices> {
  const stateDir = resolve(stateDirArg);
  const running = runningLocalServices(stateDir);
  if (running) {
    throw new Error(`a local sweep is already running from ${stateDir} (pid ${running.pid}): wait for it, use 'orchestrator status', or pass another --state-dir`);
  }
  mkdirSync(join(stateDir, 'logs'), { recursive: true });
  const redis = await startRedisServer({ dir: join(stateDir, 'redis') });
  let s3;
  try {
    s3 = await startS3Server({ dir: join(stateDir, 's3'), bucket: DEFAULT_BUCKET });
  } catch (error) {
    await redis.stop();
    throw error;
  }
  useLocalCredentials();
  const config = localConfig(redis.url, s3.endpoint);
  const servicesFile = join(stateDir, 'services.json');
  const record: LocalServicesFile = { pid: process.pid, redisUrl: redis.url, s3Endpoint: s3.endpoint, bucket: DEFAULT_BUCKET, startedAt: new Date().toISOString() };
  writeFileSync(servicesFile, JSON.stringify(record, null, 2));

  const workers: ChildProcess[] = [];
  const workerMetricsUrls: string[] = [];
  const startWorkers = async (count: number) => {
    const bin = workerBin();
    const threadsPerWorker = Math.max(1, Math.floor(availableParallelism() / Math.max(1, count)));
    for (let i = 0; i < count; i++) {
      const metricsPort = await findFreePort('127.0.0.1');
      workerMetricsUrls.push(`http://127.0.0.1:${metricsPort}/metrics`);
      const logFile = join(stateDir, 'logs', `worker-${workers.length + 1}.log`);
      const fd = openSync(logFile, 'a');
      const child = spawn(process.execPath, [bin, 'run', '--concurrency', '1', '--metrics-host', '127.0.0.1', '--metrics-port', String(metricsPort)], {
        stdio: ['ignore', fd, fd],
        env: {
          ...process.env,
          ...LOCAL_S3_CREDENTIALS,
          REDIS_URL: redis.url,
          S3_ENDPOINT: s3.endpoint,
          S3_BUCKET: DEFAULT_BUCKET,
          S3_PREFIX: '',
          DENOISE_SWEEP_CACHE_DIR: join(stateDir, 'cache'),
          // The cores shared out between the workers, unless the caller chose.
          DENOISE_SWEEP_CPU_THREADS: process.env.DENOISE_SWEEP_CPU_THREADS ?? String(threadsPerWorker),
        },
      });
      closeSync(fd);
      workers.push(child);
    }
  };

  const stop = async () => {
    await Promise.all(workers.map((w) => new Promise<void>((done) => {
      if (w.exitCode !== null || w.signalCode !== null) return done();
      const force = setTimeout(() => w.kill('SIGKILL'), 60_000);
      w.once('exit', () => {
        clearTimeout(force);
        done();
      });
      w.kill('SIGTERM');
    })));
    await s3.stop();
    await redis.stop();
    rmSync(servicesFile, { force: true });
  };
  const writeScrapeTargets = (extra: { job: string; url: string }[]) => {
    const all = [...workerMetricsUrls.map((url) => ({ job: 'denoise-sweep-worker', url })), ...extra];
    const groups = all.map(({ job, url }) => ({ targets: [new URL(url).host], labels: { job } }));
    writeFileSync(join(stateDir, 'prometheus-targets.json'), JSON.stringify(groups, null, 2));
  };
  return { config, stateDir, startWorkers, writeScrapeTargets, workerMetricsUrls, stop };
}
