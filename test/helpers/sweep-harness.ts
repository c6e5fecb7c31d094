/**
 * Worker and orchestrator processes against the test's own Redis and s3rver
 * (helpers/services.ts): environment, spawning, and waiting for conditions.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { QueueJobData, TrainProgress, TrialResult } from '@denoise-sweep/shared';
import { ArtifactKeys, expandSweep, jobIdFor, parseSweepText } from '@denoise-sweep/shared';
import type { S3ObjectStore } from '@denoise-sweep/shared/s3';
import { CheckpointStore } from '@denoise-sweep/worker';
import { S3RVER_CREDENTIALS } from './s3-server.js';
import type { Queue } from 'bullmq';
import type { LocalServicesHandle } from './services.js';

const workerBin = fileURLToPath(new URL('../../packages/worker/dist/bin.js', import.meta.url));
export const orchestratorBin = fileURLToPath(new URL('../../packages/orchestrator/dist/bin.js', import.meta.url));
export const keys = new ArtifactKeys();

/** The environment a worker or the orchestrator needs to reach the test's services. */
export function serviceEnv(services: LocalServicesHandle, store: S3ObjectStore, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    REDIS_URL: extra.REDIS_URL ?? services.redis.url,
    S3_ENDPOINT: extra.S3_ENDPOINT ?? services.s3.endpoint,
    STORE_URL: `s3://${store.bucket}`,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    DENOISE_SWEEP_CACHE_DIR: join(services.dir, 'cache'),
    TFJS_BACKEND: 'cpu',
    ...extra,
  };
}

/** Starts `worker run` without metrics; its stderr (JSON logs) is collected in `.log`. */
export function startWorker(env: NodeJS.ProcessEnv, args: string[] = ['--no-metrics']): ChildProcess & { log: string[] } {
  const child = spawn(process.execPath, [workerBin, 'run', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] }) as ChildProcess & { log: string[] };
  child.log = [];
  child.stderr?.on('data', (d: Buffer) => child.log.push(d.toString()));
  return child;
}

/** Resolves once the worker has logged that it started (its signal handlers are in place). */
export function workerReady(child: ChildProcess & { log: string[] }, timeoutMs = 60_000): Promise<void> {
  return until('the worker to start', async () => (child.log.join('').includes('"msg":"worker started"') ? true : undefined), timeoutMs).then(() => {});
}

export function orchestrator(env: NodeJS.ProcessEnv, ...args: string[]) {
  return spawnSync(process.execPath, [orchestratorBin, ...args], { env, encoding: 'utf8' });
}

/** Like orchestrator(), without blocking this process (needed when it serves something itself). */
export function orchestratorAsync(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [orchestratorBin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

export const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => {
  if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
  else child.once('exit', (code) => resolve(code));
});

/** Polls f every 250 ms until it returns a value. */
export async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 240_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await f();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The YAML of a grid sweep over noise factors, small but long enough to interrupt mid-epoch. */
export function sweepYaml(name: string, noise: number[], options: { epochs?: number; trainLimit?: number; batch?: number } = {}): string {
  return [
    `name: ${name}`,
    'method: grid',
    'parameters:',
    `  noise_factor: {values: [${noise.join(', ')}]}`,
    '  filters: {value: [4, 8]}',
    `  epochs: {value: ${options.epochs ?? 4}}`,
    `  batch_size: {value: ${options.batch ?? 32}}`,
    `dataset: {train_limit: ${options.trainLimit ?? 2048}, test_limit: 64}`,
    '',
  ].join('\n');
}

export function sweepOf(name: string, noise: number[], options?: Parameters<typeof sweepYaml>[2]) {
  const spec = parseSweepText(sweepYaml(name, noise, options), `${name}.yaml`);
  return { spec, trials: expandSweep(spec) };
}

export async function progressOf(queue: Queue<QueueJobData>, sweep: string, trialId: string): Promise<TrainProgress | undefined> {
  const job = await queue.getJob(jobIdFor(sweep, trialId));
  const p = job?.progress as TrainProgress | undefined;
  return p && typeof p === 'object' && 'phase' in p ? p : undefined;
}

export async function readResult(store: S3ObjectStore, sweep: string, trialId: string): Promise<TrialResult | undefined> {
  const bytes = await store.get(keys.result(sweep, trialId));
  return bytes ? (JSON.parse(Buffer.from(bytes).toString()) as TrialResult) : undefined;
}

/** Names of the trial's complete checkpoints (those with a manifest). */
export async function checkpointNames(store: S3ObjectStore, sweep: string, trialId: string): Promise<string[]> {
  return new CheckpointStore(store, keys.checkpoints(sweep, trialId)).names();
}
