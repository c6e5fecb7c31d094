/**
 * Local mode, the embedded default: with no REDIS_URL, the orchestrator runs the whole system on
 * this machine from a state directory (--state-dir): its own redis-server (append-only file on)
 * and worker processes bound to 127.0.0.1, with artifacts in `<state-dir>/store` as plain files
 * (or in the store `--store` names). Running again with the same state directory continues the
 * same sweeps.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { RuntimeConfig, RuntimeSettings, StoreConfig } from '@denoise-sweep/shared';
import { fileStoreUrl, readSettings, storeConfigOf } from '@denoise-sweep/shared';
import { findFreePort } from './free-port.js';
import { startRedisServer } from './redis-server.js';

/** The running local sweep's services, in `<state-dir>/services.json`. */
interface LocalServicesFile {
  pid: number;
  redisUrl: string;
  store: StoreConfig;
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
  /** Stops workers (they checkpoint first), then Redis. */
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
function runningLocalServices(stateDir: string): LocalServicesFile | undefined {
  const file = join(stateDir, 'services.json');
  if (!existsSync(file)) return undefined;
  try {
    const services = JSON.parse(readFileSync(file, 'utf8')) as LocalServicesFile;
    return processAlive(services.pid) && services.store ? services : undefined;
  } catch {
    return undefined;
  }
}

const STORE_URL_FILE = 'store-url';

/**
 * The store of a local state directory: the one the settings name (remembered for later
 * commands), else the one remembered, else `<state-dir>/store`.
 */
export function localStore(stateDir: string, settings: RuntimeSettings): StoreConfig {
  const remembered = join(stateDir, STORE_URL_FILE);
  if (settings.storeUrl !== undefined) {
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(remembered, `${settings.storeUrl}\n`);
    return storeConfigOf(settings);
  }
  const url = existsSync(remembered) ? readFileSync(remembered, 'utf8').trim() : fileStoreUrl(join(stateDir, 'store'));
  return storeConfigOf(settings, url);
}

/** Config for a command that needs a running local sweep's services, or undefined. */
export function attachToLocal(stateDir: string): RuntimeConfig | undefined {
  const running = runningLocalServices(stateDir);
  return running ? { redisUrl: running.redisUrl, store: running.store } : undefined;
}

/** The worker program (its bin.js), run as a program: the orchestrator never imports worker code. */
export function workerBin(): string {
  const { workerBin: configured } = readSettings(['workerBin']);
  if (configured) return configured;
  try {
    // A sibling program, found where npm installed it; not an import of its code.
    const pkg = createRequire(import.meta.url).resolve('@denoise-sweep/worker/package.json');
    return join(dirname(pkg), 'dist', 'bin.js');
  } catch {
    throw new Error('the worker program was not found: install @denoise-sweep/worker next to the orchestrator or set DENOISE_SWEEP_WORKER_BIN');
  }
}

/** The environment of a local worker: the parent's, with the queue and store pointed at ours. */
function workerEnv(stateDir: string, config: RuntimeConfig, threads: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: config.redisUrl,
    STORE_URL: config.store.url,
    S3_REGION: config.store.s3Region,
    DENOISE_SWEEP_CACHE_DIR: join(stateDir, 'cache'),
    // The cores shared out between the workers, unless the caller chose.
    DENOISE_SWEEP_CPU_THREADS: process.env.DENOISE_SWEEP_CPU_THREADS ?? String(threads),
  };
  if (config.store.s3Endpoint !== undefined) env.S3_ENDPOINT = config.store.s3Endpoint;
  return env;
}

/** Starts Redis for a local sweep and records it, with the store, in services.json. */
export async function startLocalServices(stateDirArg: string, settings: RuntimeSettings): Promise<LocalServices> {
  const stateDir = resolve(stateDirArg);
  const running = runningLocalServices(stateDir);
  if (running) {
    throw new Error(`a local sweep is already running from ${stateDir} (pid ${running.pid}): wait for it, use 'orchestrator status', or pass another --state-dir`);
  }
  mkdirSync(join(stateDir, 'logs'), { recursive: true });
  const store = localStore(stateDir, settings);
  const redis = await startRedisServer({ dir: join(stateDir, 'redis'), redisServerPath: readSettings(['redisServerBin']).redisServerBin });
  const config: RuntimeConfig = { redisUrl: redis.url, store };
  const servicesFile = join(stateDir, 'services.json');
  const record: LocalServicesFile = { pid: process.pid, redisUrl: redis.url, store, startedAt: new Date().toISOString() };
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
        env: workerEnv(stateDir, config, threadsPerWorker),
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
