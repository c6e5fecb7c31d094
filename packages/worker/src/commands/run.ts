import type { ObjectStore, SettingKey } from '@denoise-sweep/shared';
import { environmentHelp, ObjectStoreError, openStore, readRuntimeSettings, readSettings, redactUrl, RUNTIME_SETTINGS, serveMetrics, settingFlags, storeConfigOf, UsageError } from '@denoise-sweep/shared';
import { Command } from 'commander';
import { faultPlan } from '../fault-injection.js';
import { createLogger, type Logger } from '../logger.js';
import { packageVersion } from '../package-version.js';
import { QueueWorker } from '../queue-worker.js';
import { WorkerMetrics } from '../worker-metrics.js';

/** Flag values as commander gives them: read through readSettings. */
type RunCommandOptions = Record<string, unknown> & { metrics: boolean };

const RUN_SETTINGS = [...RUNTIME_SETTINGS, 'concurrency', 'cacheDir', 'metricsPort', 'metricsHost'] as const satisfies readonly SettingKey[];
/** Read by the training children; listed for --help and checked at start. */
const TRAINING_SETTINGS = ['engine', 'cpuThreads', 'nativeKernels', 'fashionMnistDir', 'lockMs', 'stalledMs', 'shutdownGraceMs', 'injectFaults', 'debug'] as const satisfies readonly SettingKey[];

const EXAMPLES = `
Examples:
  $ REDIS_URL=redis://queue:6379 STORE_URL=s3://sweeps S3_ENDPOINT=http://minio:9000 worker
  $ worker --concurrency 2 --redis rediss://:secret@queue:6380 --store s3://sweeps/team-a
  $ worker --redis redis://queue:6379 --store file:///mnt/shared/sweeps

AWS credentials for s3:// stores come from the AWS SDK's usual chain (AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY, profiles, instance roles). The log line "training child ready" names
the engine and kernels in use.

Before taking any trial the worker checks its store, and waits (saying so) while the store
does not answer; a missing bucket or refused credentials end it with exit 1.

Signals: the first SIGTERM or SIGINT makes running trials finish their batch, checkpoint and
go back to the queue at once, where another worker resumes them; a second one exits now.`;

export function runCommand(): Command {
  const command = new Command('run')
    .summary('pull trials from the queue and train them (the default command)')
    .description('Pull training jobs from the Redis queue and train them, one child process per concurrency slot, '
      + 'writing checkpoints, metrics, samples and results to the store.');
  for (const flag of settingFlags(RUN_SETTINGS)) command.option(flag.flags, flag.description);
  return command
    .option('--no-metrics', 'serve no metrics')
    .addHelpText('after', EXAMPLES + environmentHelp(TRAINING_SETTINGS))
    .action(async (options: RunCommandOptions) => {
      await runWorker(options);
    });
}

/** Between two checks of a store that does not answer. */
const STORE_WAIT_MS = 5_000;

/**
 * Waits until the store answers before the worker takes any trial: a worker that cannot reach
 * it would spend each trial's attempts on store retries. A store that does not answer is waited
 * for (services start in any order), said once and then every 10th check; a missing bucket or
 * refused credentials end the worker with their message. False when a signal (or, under local
 * mode, the orchestrator going away) stopped the wait.
 */
async function untilStoreAnswers(store: ObjectStore, log: Logger): Promise<boolean> {
  if (!store.check) return true;
  const stop = new AbortController();
  const onStop = () => stop.abort();
  const events = ['SIGTERM', 'SIGINT', ...(process.channel ? ['disconnect'] : [])] as const;
  for (const event of events) process.once(event, onStop);
  try {
    for (let checks = 1; !stop.signal.aborted; checks++) {
      try {
        await store.check({ signal: stop.signal });
        // A stop that came during the check still stops.
        if (stop.signal.aborted) break;
        if (checks > 1) log.info('store answers: taking trials');
        return true;
      } catch (error) {
        if (stop.signal.aborted) break;
        if (!(error instanceof ObjectStoreError) || !error.details.transient) throw error;
        if (checks === 1 || checks % 10 === 0) log.warn('store unreachable: waiting for it before taking any trial', { error: error.message, checks });
      }
      if (stop.signal.aborted) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, STORE_WAIT_MS);
        stop.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
    }
    return false;
  } finally {
    for (const event of events) process.off(event, onStop);
  }
}

async function runWorker(options: RunCommandOptions): Promise<void> {
  const runtime = readRuntimeSettings(options);
  if (!runtime.redisUrl) throw new UsageError('no queue to pull from: set REDIS_URL or pass --redis (e.g. redis://127.0.0.1:6379)');
  const settings = readSettings(RUN_SETTINGS, options);
  // Checked here, once, with exit 2, rather than in every training child.
  const training = readSettings(TRAINING_SETTINGS);
  faultPlan(training.injectFaults);
  const storeConfig = storeConfigOf(runtime);
  const log = createLogger({ component: 'worker', pid: process.pid });
  const metrics = new WorkerMetrics(packageVersion());
  const store = await openStore(storeConfig);
  const worker = new QueueWorker({
    redisUrl: runtime.redisUrl,
    storeConfig,
    store,
    concurrency: settings.concurrency,
    cacheDir: settings.cacheDir,
    log,
    lockDurationMs: training.lockMs,
    stalledIntervalMs: training.stalledMs,
    metrics,
  });
  const metricsServer = options.metrics
    ? await serveMetrics({ host: settings.metricsHost, port: settings.metricsPort, render: () => metrics.render() })
    : undefined;
  if (metricsServer) log.info('metrics server listening', { url: metricsServer.url });
  let ready: boolean;
  try {
    ready = await untilStoreAnswers(store, log);
  } catch (error) {
    await metricsServer?.close();
    store.close();
    throw error;
  }
  if (!ready) {
    await metricsServer?.close();
    store.close();
    log.info('worker stopped before taking any trial');
    return;
  }
  let signals = 0;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals === 1) {
        log.info('shutting down: running trials checkpoint and go back to the queue', { signal });
        // Bounded: with Redis unreachable a hand-back never completes; the lock's expiry then
        // gives the trial (checkpointed) to another worker.
        const grace = setTimeout(() => {
          log.warn('shutdown grace period over: exiting now; the trials go to other workers when their locks expire', { graceMs: training.shutdownGraceMs });
          worker.kill();
          process.exit(1);
        }, training.shutdownGraceMs);
        grace.unref();
        worker.close().then(resolve, (err: Error) => {
          log.error('shutdown failed', { error: err.message });
          resolve();
        });
      } else {
        log.warn('second signal: exiting now', { signal });
        // Not worker.close(true): with Redis unreachable it may never return.
        worker.kill();
        process.exit(130);
      }
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // Started by local mode with an IPC channel: when the orchestrator goes away, however it
    // goes, the channel closes and this worker stops as on SIGTERM.
    if (process.channel) {
      process.channel.unref();
      process.on('disconnect', () => onSignal('SIGTERM'));
    }
  });
  await worker.start();
  log.info('worker started', { name: worker.name, concurrency: settings.concurrency, redis: redactUrl(runtime.redisUrl), store: storeConfig.url, endpoint: storeConfig.s3Endpoint });
  await stopped;
  await metricsServer?.close();
  store.close();
  log.info('worker stopped');
}
