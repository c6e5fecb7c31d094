import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EpochRecord, TrialResult } from '@denoise-sweep/shared';
import { ArtifactKeys, trialId, unpackCheckpoint } from '@denoise-sweep/shared';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SelectedEngine } from './backend.js';
import { selectEngine } from './backend.js';
import { DEBIAN_FASHION_MNIST_DIR } from './fashion-mnist.js';
import { FileObjectStore } from '@denoise-sweep/shared';
import { executeTrial } from './trial-execution.js';

const root = mkdtempSync(join(tmpdir(), 'runner-'));
let engine: SelectedEngine;
beforeAll(async () => {
  engine = await selectEngine('cpu');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('executeTrial', () => {
  it('writes config.json, per-epoch checkpoints, metrics.jsonl, samples.png and result.json', async () => {
    const store = new FileObjectStore(join(root, 'runs'));
    const keys = new ArtifactKeys();
    const params = { noise_factor: 0.4, filters: [4, 8], epochs: 2, batch_size: 64, learning_rate: 0.002, seed: 3 };
    const dataset = { train_limit: 256, test_limit: 32 };
    const trial = { id: trialId(params, dataset), params, dataset };
    const epochs: EpochRecord[] = [];
    const outcome = await executeTrial({ store, keys, sweep: 'demo', trial, engine, datasetDir: DEBIAN_FASHION_MNIST_DIR, onEpochEnd: (r) => void epochs.push(r) });
    expect(outcome.status).toBe('completed');
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);

    const dir = `sweeps/demo/trials/${trial.id}`;
    const keysWritten = await store.list(dir);
    // One object per checkpoint, holding every file of the model's and the optimizer's state.
    expect(keysWritten.filter((k) => k.includes('/checkpoints/'))).toEqual([`${dir}/checkpoints/epoch-0001.ckpt`, `${dir}/checkpoints/epoch-0002.ckpt`]);
    for (const epoch of ['epoch-0001', 'epoch-0002']) {
      const files = unpackCheckpoint((await store.get(`${dir}/checkpoints/${epoch}.ckpt`))!, epoch);
      expect(Object.keys(files)).toEqual(['model.json', 'weights.bin', 'optimizer.json', 'optimizer.bin', 'trainer-state.json']);
    }
    const text = async (key: string) => Buffer.from((await store.get(key))!).toString('utf8');
    // config.json is the trial's own (enqueueing writes nothing per trial).
    expect(JSON.parse(await text(`${dir}/config.json`))).toEqual({ sweep: 'demo', ...trial });
    const lines = (await text(`${dir}/metrics.jsonl`)).trim().split('\n').map((l) => JSON.parse(l) as EpochRecord);
    expect(lines.map((l) => l.epoch)).toEqual([1, 2]);
    const result = JSON.parse(await text(`${dir}/result.json`)) as TrialResult;
    expect(result).toMatchObject({
      sweep: 'demo',
      trial: trial.id,
      status: 'completed',
      epochs_completed: 2,
      param_count: 40 + 296 + 584 + 292 + 37, // enc 1->4, 4->8; dec 8->8, 8->4; out 4->1
      checkpoint_key: `${dir}/checkpoints/epoch-0002.ckpt`,
      samples_key: `${dir}/samples.png`,
      resumed_from: null,
    });
    expect(result.final.val_loss).toBe(lines[1]!.val_loss);
    expect(result.engine.name).toBe('cpu');
    const png = PNG.sync.read(Buffer.from((await store.get(`${dir}/samples.png`))!));
    expect(png.width).toBeGreaterThan(png.height);
  });
});
