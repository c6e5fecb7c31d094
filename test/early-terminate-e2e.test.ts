/**
 * Early termination end to end, in local mode with one worker so that trials meet the rungs
 * in the sweep's order: ASHA pauses a trial at its rung, promotes it when a worse trial
 * arrives, and the promoted trial resumes from its checkpoint to the same weights as a trial
 * that was never paused; hyperband in stop mode ends trials at a band with a 'stopped' result.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResultRow } from '@denoise-sweep/orchestrator';
import type { TrialResult } from '@denoise-sweep/shared';
import { ArtifactKeys, unpackCheckpoint } from '@denoise-sweep/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { orchestratorAsync } from './helpers/sweep-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'early-terminate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const keys = new ArtifactKeys();

/** The orchestrator in local mode (no REDIS_URL or STORE_URL), on the CPU engine. */
async function run(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { status, stdout, stderr } = await orchestratorAsync({ ...process.env, REDIS_URL: '', STORE_URL: '', TFJS_BACKEND: 'cpu' }, ...args);
  return { code: status, stdout, stderr };
}

/** A sweep over learning rates, in this order: good, medium, terrible at epoch 1. */
function sweepFile(name: string, earlyTerminate: string | undefined, rates = [0.003, 0.00001, 0.3], epochs = 2): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, [
    `name: ${name}`,
    'method: grid',
    'metric: {name: val_loss, goal: minimize}',
    ...(earlyTerminate ? [`early_terminate: ${earlyTerminate}`] : []),
    'keep_checkpoints: all',
    'parameters:',
    `  learning_rate: {values: [${rates.join(', ')}]}`,
    '  filters: {value: [4, 8]}',
    `  epochs: {value: ${epochs}}`,
    '  batch_size: {value: 64}',
    'dataset: {train_limit: 256, test_limit: 32}',
    '',
  ].join('\n'));
  return file;
}

const storeFile = (stateDir: string, key: string) => join(stateDir, 'store', key);
const readResult = (stateDir: string, sweep: string, trial: string) => JSON.parse(readFileSync(storeFile(stateDir, keys.result(sweep, trial)), 'utf8')) as TrialResult;

describe('asha in pause mode', () => {
  const stateDir = join(dir, 'asha');

  it('pauses at the rung, promotes when a worse trial arrives, and the promoted trial ends as if never paused', async () => {
    const sweep = await run('sweep', sweepFile('asha pause', '{type: asha, grace_period: 1, reduction_factor: 2}'), '--workers', '1', '--state-dir', stateDir);
    expect(sweep.code, sweep.stderr).toBe(0);
    const rows = JSON.parse((await run('results', 'asha-pause', '--format', 'json', '--state-dir', stateDir)).stdout) as ResultRow[];
    const byRate = new Map(rows.map((r) => [r.learning_rate, r]));
    // 0.003 passes (first at the rung); 0.00001 is worse: paused; 0.3 is worse still: paused,
    // and with it 0.00001 ranks in the top half of the rung: promoted, it trains on to the end.
    expect(byRate.get(0.003)?.state).toBe('done');
    expect(byRate.get(0.3)?.state).toBe('paused');
    const promoted = byRate.get(0.00001)!;
    expect(promoted.state).toBe('done');
    expect(promoted.early_termination).toBe('promoted at epoch 1');
    expect(byRate.get(0.3)?.early_termination).toBe('paused at epoch 1');
    const result = readResult(stateDir, 'asha-pause', promoted.trial);
    expect(result.epochs_completed).toBe(2);
    expect(result.resumed_from).toBe('epoch-0001');

    const status = JSON.parse((await run('status', 'asha-pause', '--json', '--state-dir', stateDir)).stdout) as { counts: Record<string, number>; trials: { id: string; state: string; pausedAt?: number; promotedAt?: number[] }[] };
    expect(status.counts).toMatchObject({ done: 2, paused: 1 });
    expect(status.trials.find((t) => t.id === promoted.trial)?.promotedAt).toEqual([1]);
    expect(status.trials.find((t) => t.state === 'paused')?.pausedAt).toBe(1);
    // The report marks the rung where the paused trial was cut on its loss curve.
    const report = readFileSync(join(stateDir, 'asha-pause-report.html'), 'utf8');
    expect(report).toContain('early termination: paused at epoch 1');
    expect(report).toContain('early termination: promoted at epoch 1');
    expect(report).toContain('state-paused');
    // The paused trial kept its rung's checkpoint, ready for a promotion.
    const paused = byRate.get(0.3)!;
    expect(Object.keys(unpackCheckpoint(readFileSync(storeFile(stateDir, `${keys.checkpoints('asha-pause', paused.trial)}/epoch-0001.ckpt`)), 'epoch-0001'))).toContain('weights.bin');

    // The same trial trained straight through (another sweep, no early termination) ends with
    // the same weights, byte for byte: pausing and promoting cost nothing.
    const plainDir = join(dir, 'plain');
    const plain = await run('sweep', sweepFile('plain', undefined, [0.00001]), '--workers', '1', '--state-dir', plainDir);
    expect(plain.code, plain.stderr).toBe(0);
    const weights = (stateDir2: string, sweepId: string) =>
      Buffer.from(unpackCheckpoint(readFileSync(storeFile(stateDir2, `${keys.checkpoints(sweepId, promoted.trial)}/epoch-0002.ckpt`)), 'epoch-0002')['weights.bin']!);
    expect(weights(stateDir, 'asha-pause').equals(weights(plainDir, 'plain'))).toBe(true);
  });

  it('running the sweep again keeps the paused trial paused and trains nothing', async () => {
    const again = await run('sweep', sweepFile('asha pause', '{type: asha, grace_period: 1, reduction_factor: 2}'), '--workers', '1', '--state-dir', stateDir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/3 trials: 2 already done, 0 enqueued, 0 retried, 1 already queued/);
  });
});

describe('asha in pause mode, strict', () => {
  it('pauses even the first arrival, and promotes the best once the rung holds reduction_factor trials', async () => {
    const stateDir = join(dir, 'asha-strict');
    const sweep = await run('sweep', sweepFile('asha strict', '{type: asha, grace_period: 1, reduction_factor: 2, strict: true}'), '--workers', '1', '--state-dir', stateDir);
    expect(sweep.code, sweep.stderr).toBe(0);
    const rows = JSON.parse((await run('results', 'asha-strict', '--format', 'json', '--state-dir', stateDir)).stdout) as ResultRow[];
    const byRate = new Map(rows.map((r) => [r.learning_rate, r]));
    // 0.003 arrives alone (floor(1/2) = 0 places): paused; 0.00001 makes two (one place), which
    // 0.003 takes: promoted, it resumes from its checkpoint; 0.3 makes three: still one place.
    const best = byRate.get(0.003)!;
    expect(best.state).toBe('done');
    expect(best.early_termination).toBe('promoted at epoch 1');
    expect(readResult(stateDir, 'asha-strict', best.trial)).toMatchObject({ epochs_completed: 2, resumed_from: 'epoch-0001' });
    expect(byRate.get(0.00001)?.state).toBe('paused');
    expect(byRate.get(0.3)?.state).toBe('paused');
  });
});

describe('hyperband in stop mode', () => {
  it('stops the trials that rank badly at a band, with a stopped result', async () => {
    const stateDir = join(dir, 'hyperband');
    const sweep = await run('sweep', sweepFile('hyperband stop', '{type: hyperband, min_iter: 1, eta: 3}', [0.003, 0.00001, 0.3], 3), '--workers', '1', '--state-dir', stateDir);
    expect(sweep.code, sweep.stderr).toBe(0);
    const rows = JSON.parse((await run('results', 'hyperband-stop', '--format', 'json', '--state-dir', stateDir)).stdout) as ResultRow[];
    // Bands at epochs 1 (and 3, the last epoch, where nothing is cut). strict: the top
    // ceil(n/3) go on: the first trial alone at the band passes, the other two rank second.
    const byRate = new Map(rows.map((r) => [r.learning_rate, r]));
    expect(byRate.get(0.003)?.state).toBe('done');
    for (const rate of [0.00001, 0.3]) {
      const row = byRate.get(rate)!;
      expect(row.state).toBe('stopped');
      expect(row.early_termination).toBe('stopped at epoch 1');
      const result = readResult(stateDir, 'hyperband-stop', row.trial);
      expect(result).toMatchObject({ status: 'stopped', stopped_at: 1, epochs_completed: 1 });
    }
  });
});

describe('an adaptive sweep (tpe with hyperband) in local mode', () => {
  const stateDir = join(dir, 'tpe');
  const file = () => {
    const path = join(dir, 'tpe.yaml');
    writeFileSync(path, [
      'name: tpe e2e',
      'method: tpe',
      'metric: {name: psnr, goal: maximize}',
      'run_cap: 5',
      'early_terminate: {type: hyperband, min_iter: 1, eta: 2, strict: false}',
      'parameters:',
      '  learning_rate: {distribution: log_uniform_values, min: 0.00001, max: 0.01}',
      '  filters: {values: [[4], [4, 8]]}',
      '  epochs: {value: 2}',
      '  batch_size: {value: 64}',
      'dataset: {train_limit: 256, test_limit: 32}',
      '',
    ].join('\n'));
    return path;
  };

  it('says what it will do on a dry run', async () => {
    const dry = await run('sweep', file(), '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/tpe search, up to 5 trials \(run_cap\)/);
    expect(dry.stdout).toMatch(/learning_rate: log_uniform_values from 0\.00001 to 0\.01/);
    expect(dry.stdout).toMatch(/trials of 2 epochs: rungs at epochs 1/);
    const json = JSON.parse((await run('sweep', file(), '--dry-run', '--json')).stdout) as { method: string; run_cap: number };
    expect(json).toMatchObject({ method: 'tpe', run_cap: 5 });
  });

  it('suggests run_cap distinct trials on two workers, runs them to the end, and adds nothing when run again', async () => {
    const first = await run('sweep', file(), '--workers', '2', '--state-dir', stateDir);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/5 trials to suggest \(tpe, run_cap\): 0 already done, 5 enqueued/);
    const rows = JSON.parse((await run('results', 'tpe-e2e', '--format', 'json', '--state-dir', stateDir)).stdout) as ResultRow[];
    expect(rows).toHaveLength(5);
    expect(new Set(rows.map((r) => `${r.learning_rate}/${r.filters.join(',')}`)).size).toBe(5);
    expect(rows.every((r) => r.state === 'done' || r.state === 'stopped')).toBe(true);
    // Every suggested trial has its config.json, written before it trained.
    for (const r of rows) expect(readFileSync(storeFile(stateDir, keys.trialConfig('tpe-e2e', r.trial)), 'utf8')).toContain(r.trial);
    const again = await run('sweep', file(), '--workers', '2', '--state-dir', stateDir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/5 trials to suggest \(tpe, run_cap\): 5 already done, 0 enqueued/);
  });

  it('after Redis lost everything, restores the record from the store: nothing is suggested or trained again', async () => {
    rmSync(join(stateDir, 'redis'), { recursive: true, force: true });
    const again = await run('sweep', file(), '--workers', '2', '--state-dir', stateDir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/5 trials to suggest \(tpe, run_cap\): 5 already done, 0 enqueued/);
    const status = JSON.parse((await run('status', 'tpe-e2e', '--json', '--state-dir', stateDir)).stdout) as { trials: { id: string; state: string }[] };
    expect(status.trials).toHaveLength(5);
    expect(status.trials.every((t) => t.state === 'done' || t.state === 'stopped')).toBe(true);
  });
});
