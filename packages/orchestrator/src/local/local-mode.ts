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
import { RestartPolicy } from './restart-policy.js';

/** The running local sweep's services, in `<state-dir>/services.json`. */
interface LocalServicesFile {
  pid: number;
  redisUrl: string;
  redisPid: number;
  workerPids: number[];
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
  /** Kills the workers at once (a second Ctrl-C); Redis's guard and the workers' children follow this process out. */
  kill(): void;
  /** Rejects when a supervised process keeps crashing; never resolves. */
  failed: Promise<never>;
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

/** What local mode tells the user about its processes while the sweep runs. */
export interface LocalServicesOptions {
  /** A worker or redis-server exited and was restarted, or could not be. */
  onEvent?: (message: string) => void;
}

interface SupervisedWorker {
  slot: number;
  metricsPort: number;
  child: ChildProcess;
  policy: RestartPolicy;
}

const describeExit = (code: number | null, signal: NodeJS.Signals | null) => signal ?? `code ${code}`;

/**
 * Starts Redis for a local sweep, records it with the store in services.json, and supervises
 * what it starts: a worker or redis-server that exits unexpectedly is reported and restarted
 * (Redis on the same port, from its own append-only file) with a backoff; one that keeps
 * crashing makes `failed` reject. Workers hold an IPC channel to this process and stop when it
 * goes away, however it goes (SIGKILL included), as Redis's guard does.
 */
export async function startLocalServices(stateDirArg: string, settings: RuntimeSettings, options: LocalServicesOptions = {}): Promise<LocalServices> {
  const stateDir = resolve(stateDirArg);
  const running = runningLocalServices(stateDir);
  if (running) {
    throw new Error(`a local sweep is already running from ${stateDir} (pid ${running.pid}): wait for it, use 'orchestrator status', or pass another --state-dir`);
  }
  mkdirSync(join(stateDir, 'logs'), { recursive: true });
  const store = localStore(stateDir, settings);
  const redisServerPath = readSettings(['redisServerBin']).redisServerBin;
  const redisDir = join(stateDir, 'redis');
  let redis = await startRedisServer({ dir: redisDir, redisServerPath });
  const config: RuntimeConfig = { redisUrl: redis.url, store };
  const servicesFile = join(stateDir, 'services.json');
  const workers: SupervisedWorker[] = [];
  const writeRecord = () => {
    const record: LocalServicesFile = {
      pid: process.pid, redisUrl: redis.url, redisPid: redis.pid, workerPids: workers.flatMap((w) => (w.child.pid === undefined ? [] : [w.child.pid])),
      store, startedAt: new Date().toISOString(),
    };
    writeFileSync(servicesFile, JSON.stringify(record, null, 2));
  };
  writeRecord();

  let stopping = false;
  let fail: (error: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => {}); // observed by the caller through `failed`
  const say = (message: string) => options.onEvent?.(message);

  const redisPolicy = new RestartPolicy();
  const superviseRedis = () => {
    void redis.exited.then(async (how) => {
      if (stopping) return;
      for (;;) {
        const delay = redisPolicy.crashed();
        if (delay === undefined) {
          fail(new Error(`redis-server exited ${redisPolicy.recent} times within ${redisPolicy.window / 1000} s (last: ${how}); giving up: see ${redisDir}`));
          return;
        }
        say(`redis-server exited (${how}); restarting it on port ${redis.port} in ${delay / 1000} s`);
        await new Promise((r) => setTimeout(r, delay));
        if (stopping) return;
        try {
          redis = await startRedisServer({ dir: redisDir, port: redis.port, redisServerPath });
          writeRecord();
          say(`redis-server restarted on port ${redis.port} from its append-only file`);
          superviseRedis();
          return;
        } catch (error) {
          how = (error as Error).message.split('\n')[0] ?? 'it did not start';
        }
      }
    });
  };
  superviseRedis();

  const bin = () => workerBin();
  const spawnWorker = (slot: number, metricsPort: number, threads: number): ChildProcess => {
    const fd = openSync(join(stateDir, 'logs', `worker-${slot}.log`), 'a');
    // The IPC channel closes when this process dies, however it dies: the worker then stops.
    const child = spawn(process.execPath, [bin(), 'run', '--concurrency', '1', '--metrics-host', '127.0.0.1', '--metrics-port', String(metricsPort)], {
      stdio: ['ignore', fd, fd, 'ipc'],
      env: workerEnv(stateDir, config, threads),
    });
    closeSync(fd);
    child.unref();
    child.channel?.unref();
    return child;
  };
  const superviseWorker = (w: SupervisedWorker, threads: number) => {
    w.child.once('exit', (code, signal) => {
      if (stopping) return;
      const delay = w.policy.crashed();
      const how = describeExit(code, signal);
      if (delay === undefined) {
        fail(new Error(`worker ${w.slot} exited ${w.policy.recent} times within ${w.policy.window / 1000} s (last: ${how}); giving up: see ${join(stateDir, 'logs', `worker-${w.slot}.log`)}`));
        return;
      }
      say(`worker ${w.slot} exited (${how}); restarted`);
      setTimeout(() => {
        if (stopping) return;
        w.child = spawnWorker(w.slot, w.metricsPort, threads);
        writeRecord();
        superviseWorker(w, threads);
      }, delay).unref();
    });
  };

  const workerMetricsUrls: string[] = [];
  const startWorkers = async (count: number) => {
    const threadsPerWorker = Math.max(1, Math.floor(availableParallelism() / Math.max(1, count)));
    for (let i = 0; i < count; i++) {
      const metricsPort = await findFreePort('127.0.0.1');
      workerMetricsUrls.push(`http://127.0.0.1:${metricsPort}/metrics`);
      const w: SupervisedWorker = { slot: workers.length + 1, metricsPort, child: spawnWorker(workers.length + 1, metricsPort, threadsPerWorker), policy: new RestartPolicy() };
      workers.push(w);
      superviseWorker(w, threadsPerWorker);
    }
    writeRecord();
  };

  const stop = async () => {
    stopping = true;
    await Promise.all(workers.map(({ child: w }) => new Promise<void>((done) => {
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
  const kill = () => {
    stopping = true;
    for (const { child } of workers) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const writeScrapeTargets = (extra: { job: string; url: string }[]) => {
    const all = [...workerMetricsUrls.map((url) => ({ job: 'denoise-sweep-worker', url })), ...extra];
    const groups = all.map(({ job, url }) => ({ targets: [new URL(url).host], labels: { job } }));
    writeFileSync(join(stateDir, 'prometheus-targets.json'), JSON.stringify(groups, null, 2));
  };
  return { config, stateDir, startWorkers, writeScrapeTargets, workerMetricsUrls, stop, kill, failed };
}
