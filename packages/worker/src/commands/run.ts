import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RuntimeConfigFlags } from '@denoise-sweep/shared';
import { readRuntimeConfig, redactUrl, RUNTIME_FLAGS, serveMetrics, UsageError } from '@denoise-sweep/shared';
import { S3ObjectStore } from '@denoise-sweep/shared/s3';
import { Command } from 'commander';
import { faultPlan } from '../fault-injection.js';
import { createLogger } from '../logger.js';
import { packageVersion } from '../package-version.js';
import { QueueWorker } from '../queue-worker.js';
import { WorkerMetrics } from '../worker-metrics.js';

export interface RunCommandOptions extends RuntimeConfigFlags {
  concurrency: string;
  cacheDir?: string;
  metricsPort?: string;
  metricsHost?: string;
  metrics: boolean;
}

const EXAMPLES = `
Examples:
  $ REDIS_URL=redis://queue:6379 S3_ENDPOINT=http://minio:9000 worker
  $ worker --concurrency 2 --redis rediss://:secret@queue:6380 --s3-bucket sweeps

Configuration (flags override the environment): REDIS_URL, S3_ENDPOINT, S3_BUCKET, S3_REGION,
S3_PREFIX; AWS credentials come from the AWS SDK's usual chain (AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY, profiles, instance roles). TFJS_BACKEND forces a training engine.
On the cpu engine, DENOISE_SWEEP_CPU_THREADS sets the kernels' threads (default: every core
with the oneDNN kernels, 1 with the TypeScript ones) and DENOISE_SWEEP_NATIVE_KERNELS=off
turns the oneDNN kernels off. The log line "training child ready" names the kernels in use.

Signals: the first SIGTERM or SIGINT makes running trials finish their batch, checkpoint and
go back to the queue at once, where another worker resumes them; a second one exits now.`;

function addRuntimeFlags(command: Command): Command {
  for (const flag of RUNTIME_FLAGS) command.option(flag.flags, flag.description);
  return command;
}

export function runCommand(): Command {
  return addRuntimeFlags(
    new Command('run')
      .summary('pull trials from the queue and train them (the default command)')
      .description('Pull training jobs from the Redis queue and train them, one child process per concurrency slot, '
        + 'writing checkpoints, metrics, samples and results to S3-compatible storage.'),
  )
    .option('--concurrency <n>', 'trials trained at once: one per GPU; on CPU, 1 per machine is fastest', '1')
    .option('--cache-dir <dir>', 'local dataset cache (default ~/.cache/denoise-sweep)')
    .option('--metrics-port <port>', 'serve Prometheus metrics on this port; 0: any free port (env METRICS_PORT; default 9464)')
    .option('--metrics-host <host>', 'address the metrics server binds to (env METRICS_HOST; default 0.0.0.0)')
    .option('--no-metrics', 'serve no metrics')
    .addHelpText('after', EXAMPLES)
    .action(async (options: RunCommandOptions) => {
      await runWorker(options);
    });
}

export async function runWorker(options: RunCommandOptions): Promise<void> {
  const config = readRuntimeConfig(options);
  if (!config.redisUrl) throw new UsageError('no queue to pull from: set REDIS_URL or pass --redis (e.g. redis://127.0.0.1:6379)');
  const concurrency = Number(options.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UsageError(`--concurrency must be an integer from 1 to 64, got '${options.concurrency}'`);
  const metricsPort = Number(options.metricsPort ?? process.env.METRICS_PORT ?? 9464);
  if (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535) throw new UsageError(`--metrics-port must be a port number (0 for any free port), got '${options.metricsPort}'`);
  faultPlan(); // a misspelt fault fails here, with exit 2, rather than in every training child
  const log = createLogger({ component: 'worker', pid: process.pid });
  const metrics = new WorkerMetrics(packageVersion());
  const store = new S3ObjectStore({ ...config.s3, forcePathStyle: true });
  const worker = new QueueWorker({
    redisUrl: config.redisUrl,
    s3: config.s3,
    store,
    concurrency,
    cacheDir: options.cacheDir ?? process.env.DENOISE_SWEEP_CACHE_DIR ?? join(homedir(), '.cache', 'denoise-sweep'),
    log,
    lockDurationMs: Number(process.env.DENOISE_SWEEP_LOCK_MS) || undefined,
    stalledIntervalMs: Number(process.env.DENOISE_SWEEP_STALLED_MS) || undefined,
    metrics,
  });
  const metricsServer = options.metrics
    ? await serveMetrics({ host: options.metricsHost ?? process.env.METRICS_HOST ?? '0.0.0.0', port: metricsPort, render: () => metrics.render() })
    : undefined;
  if (metricsServer) log.info('metrics server listening', { url: metricsServer.url });
  let signals = 0;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals === 1) {
        log.info('shutting down: running trials checkpoint and go back to the queue', { signal });
        worker.close().then(resolve, (err: Error) => {
          log.error('shutdown failed', { error: err.message });
          resolve();
        });
      } else {
        log.warn('second signal: exiting now', { signal });
        void worker.close(true).finally(() => process.exit(130));
      }
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await worker.start();
  log.info('worker started', { name: worker.name, concurrency, redis: redactUrl(config.redisUrl), bucket: config.s3.bucket, endpoint: config.s3.endpoint ?? 'aws' });
  await stopped;
  await metricsServer?.close();
  log.info('worker stopped');
}
