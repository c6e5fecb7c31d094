/**
 * Epochs are a budget, not a retraining, end to end in local mode: a grid over epochs [1, 2, 3]
 * of one configuration trains one run of 3 epochs whose epoch-1 and epoch-2 states are the
 * shorter trials, byte for byte what training each on its own gives; raising the grid to 4
 * epochs later starts the new trial from the 3-epoch trial's checkpoint.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResultRow } from '@denoise-sweep/orchestrator';
import type { TrialResult } from '@denoise-sweep/shared';
import { ArtifactKeys, unpackCheckpoint } from '@denoise-sweep/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { orchestratorAsync } from './helpers/sweep-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'epoch-budget-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const keys = new ArtifactKeys();

/** The orchestrator in local mode (no REDIS_URL or STORE_URL), on the CPU engine. */
async function run(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { status, stdout, stderr } = await orchestratorAsync({ ...process.env, REDIS_URL: '', STORE_URL: '', TFJS_BACKEND: 'cpu' }, ...args);
  return { code: status, stdout, stderr };
}

function sweepFile(name: string, epochs: number[]): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, [
    `name: ${name}`,
    'method: grid',
    'parameters:',
    `  epochs: {values: [${epochs.join(', ')}]}`,
    '  filters: {value: [4, 8]}',
    '  batch_size: {value: 64}',
    'dataset: {train_limit: 256, test_limit: 32}',
    '',
  ].join('\n'));
  return file;
}

const file = (stateDir: string, key: string) => readFileSync(join(stateDir, 'store', key));
const result = (stateDir: string, sweep: string, trial: string) => JSON.parse(file(stateDir, keys.result(sweep, trial)).toString()) as TrialResult;
const weights = (stateDir: string, sweep: string, trial: string, epoch: number) => {
  const name = `epoch-${String(epoch).padStart(4, '0')}`;
  return Buffer.from(unpackCheckpoint(file(stateDir, `${keys.checkpoints(sweep, trial)}/${name}.ckpt`), name)['weights.bin']!);
};
const metrics = (stateDir: string, sweep: string, trial: string) =>
  file(stateDir, keys.metrics(sweep, trial)).toString().trim().split('\n').map((l) => JSON.parse(l) as { val_loss: number; psnr: number });
/** How many trials the workers of a state dir started training. */
const trainingStarts = (stateDir: string) => readdirSync(join(stateDir, 'logs'))
  .map((f) => readFileSync(join(stateDir, 'logs', f), 'utf8').split('\n').filter((l) => l.includes('"msg":"training trial"')).length)
  .reduce((a, b) => a + b, 0);

describe('a grid over epochs', () => {
  const stateDir = join(dir, 'shared');
  const byEpochs = new Map<number, string>();

  it('trains one run for [1, 2, 3] and finishes the shorter trials on the way', async () => {
    const sweep = await run('sweep', sweepFile('budget', [1, 2, 3]), '--workers', '1', '--state-dir', stateDir);
    expect(sweep.code, sweep.stderr).toBe(0);
    expect(sweep.stderr).toMatch(/3 trials: 0 already done, 1 enqueued, 0 retried, 0 already queued, 2 finished on the way/);
    const rows = JSON.parse((await run('results', 'budget', '--format', 'json', '--state-dir', stateDir)).stdout) as ResultRow[];
    expect(rows.map((r) => r.state)).toEqual(['done', 'done', 'done']);
    for (const r of rows) byEpochs.set(r.epochs, r.trial);
    // One trial trained (3 epochs), not three (6 epochs).
    expect(trainingStarts(stateDir)).toBe(1);
    for (const epochs of [1, 2, 3]) {
      const r = result(stateDir, 'budget', byEpochs.get(epochs)!);
      expect(r).toMatchObject({ status: 'completed', epochs_completed: epochs });
      expect(metrics(stateDir, 'budget', r.trial)).toHaveLength(epochs);
    }
  });

  it('gives each shorter trial exactly what training it alone gives', async () => {
    const aloneDir = join(dir, 'alone');
    const alone = await run('sweep', sweepFile('alone', [2]), '--workers', '1', '--state-dir', aloneDir);
    expect(alone.code, alone.stderr).toBe(0);
    const trial = byEpochs.get(2)!;
    expect(weights(stateDir, 'budget', trial, 2).equals(weights(aloneDir, 'alone', trial, 2))).toBe(true);
    expect(metrics(stateDir, 'budget', trial).map((m) => m.val_loss)).toEqual(metrics(aloneDir, 'alone', trial).map((m) => m.val_loss));
    expect(result(stateDir, 'budget', trial).final).toEqual(result(aloneDir, 'alone', trial).final);
  });

  it('a longer trial added later starts from the longest finished one', async () => {
    const grown = await run('sweep', sweepFile('budget', [1, 2, 3, 4]), '--workers', '1', '--state-dir', stateDir);
    expect(grown.code, grown.stderr).toBe(0);
    expect(grown.stderr).toMatch(/4 trials: 3 already done, 1 enqueued/);
    const rows = JSON.parse((await run('results', 'budget', '--format', 'json', '--state-dir', stateDir)).stdout) as ResultRow[];
    const four = rows.find((r) => r.epochs === 4)!;
    const r = result(stateDir, 'budget', four.trial);
    expect(r.resumed_from).toBe('epoch-0003');
    // Its first three epochs are the 3-epoch trial's.
    expect(metrics(stateDir, 'budget', four.trial).slice(0, 3)).toEqual(metrics(stateDir, 'budget', byEpochs.get(3)!));
  });
});
