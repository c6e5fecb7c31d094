/**
 * An adaptive sweep on a cluster: real redis-server, s3rver and worker processes, and no other
 * process. `orchestrator sweep FILE --detach` enqueues the slots and exits; the workers suggest,
 * train, pause and promote by themselves, and one of them is killed (SIGKILL) mid-trial: its
 * slot is taken over with the trial already suggested for it, and the sweep still ends with
 * run_cap distinct trials and one linear suggestion record.
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SuggestionEntry } from '@denoise-sweep/shared';
import { readSuggestions } from '@denoise-sweep/shared';
import type { S3ObjectStore } from '@denoise-sweep/shared/s3';
import { connectRedis } from '@denoise-sweep/orchestrator';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as h from './helpers/sweep-harness.js';
import { useLocalServices } from './helpers/services.js';

const services = useLocalServices();
let store: S3ObjectStore;
let redis: Redis;
const children: ChildProcess[] = [];

beforeAll(async () => {
  store = await services.newStore();
  redis = await connectRedis(services.redis.url);
});

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  redis.disconnect();
});

// Short locks so that the killed worker's slot is taken over in seconds; batches paced so the
// kill lands mid-trial.
const env = () => h.serviceEnv(services, store, { DENOISE_SWEEP_LOCK_MS: '4000', DENOISE_SWEEP_STALLED_MS: '1000', DENOISE_SWEEP_INJECT_FAULTS: 'batch-delay:20' });

interface StatusJson { counts: Record<string, number>; trials: { id: string; state: string }[] }

describe('an adaptive sweep with --detach on a cluster', () => {
  it('runs to its run_cap with workers only, through a worker killed mid-trial', async () => {
    const file = join(services.dir, 'cluster.yaml');
    writeFileSync(file, [
      'name: cluster tpe',
      'method: tpe',
      'metric: {name: val_loss, goal: minimize}',
      'run_cap: 6',
      'early_terminate: {type: asha, grace_period: 1, reduction_factor: 2}',
      'parameters:',
      '  learning_rate: {distribution: log_uniform_values, min: 0.00001, max: 0.01}',
      '  filters: {value: [4]}',
      '  epochs: {value: 2}',
      '  batch_size: {value: 32}',
      'dataset: {train_limit: 512, test_limit: 32}',
      '',
    ].join('\n'));
    const detached = h.orchestrator(env(), 'sweep', file, '--detach');
    expect(detached.status, detached.stderr).toBe(0);
    expect(detached.stdout.trim()).toBe('cluster-tpe');
    expect(detached.stderr).toMatch(/6 trials to suggest \(tpe, run_cap\): 0 already done, 6 enqueued/);

    // Before any suggestion, the report shows the slots as waiting trials.
    const early = h.orchestrator(env(), 'report', 'cluster-tpe', '--out', join(services.dir, 'early-report.html'));
    expect(early.status, early.stderr).toBe(0);

    const first = h.startWorker(env());
    const second = h.startWorker(env());
    children.push(first, second);
    // Kill the first worker once it trains a suggested trial.
    await h.until('a suggested trial in training', async () => (first.log.join('').includes('"msg":"training trial"') ? true : undefined), 120_000);
    first.kill('SIGKILL');
    await h.exited(first);
    children.push(h.startWorker(env()));

    const status = await h.until('the sweep to settle', async () => {
      const out = h.orchestrator(env(), 'status', 'cluster-tpe', '--json');
      if (out.status !== 0) return undefined;
      const parsed = JSON.parse(out.stdout) as StatusJson;
      const c = parsed.counts;
      return (c.running ?? 0) + (c.waiting ?? 0) + (c.retrying ?? 0) + (c.missing ?? 0) === 0 ? parsed : undefined;
    }, 300_000);
    expect(status.trials).toHaveLength(6);
    expect((status.counts.done ?? 0) + (status.counts.paused ?? 0)).toBe(6);
    expect(status.counts.done).toBeGreaterThanOrEqual(1);

    const record: SuggestionEntry[] = await readSuggestions(redis, 'cluster-tpe');
    expect(record.map((e) => e.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(new Set(record.map((e) => e.slot)).size).toBe(6);
    expect(new Set(record.map((e) => e.trial.params.learning_rate)).size).toBe(6);
    // Every trial of the record is the one status lists, with its config in the store.
    expect(status.trials.map((t) => t.id).sort()).toEqual(record.map((e) => e.trial.id).sort());
    for (const e of record) expect(await store.exists(h.keys.trialConfig('cluster-tpe', e.trial.id))).toBe(true);
  });
});
