import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckpointRetention } from '@denoise-sweep/shared';
import { FileObjectStore } from '@denoise-sweep/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectEngine } from './backend.js';
import { bestCheckpoint } from './checkpoint-retention.js';
import { CheckpointStore } from './checkpoint-store.js';
import type { FashionMnist } from './fashion-mnist.js';
import { DEBIAN_FASHION_MNIST_DIR, loadFashionMnist } from './fashion-mnist.js';
import { trainEpochs } from './epoch-loop.js';
import { TINY_TRIAL } from './testing/tiny-trial.js';

const root = mkdtempSync(join(tmpdir(), 'trainer-retention-'));
let small: FashionMnist;
const trial = TINY_TRIAL;
// val_loss falls every epoch here, so the inverted goal makes epoch 1 the best: the best is
// then never the newest checkpoint, and retention has two to keep.
const best: CheckpointRetention = { keep: 'best', metric: { name: 'val_loss', goal: 'maximize' } };

beforeAll(async () => {
  await selectEngine('cpu');
  small = await loadFashionMnist({ dir: DEBIAN_FASHION_MNIST_DIR, trainLimit: trial.dataset.train_limit, testLimit: trial.dataset.test_limit });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function storeAt(name: string): { objects: FileObjectStore; checkpoints: () => CheckpointStore } {
  const objects = new FileObjectStore(join(root, name));
  return { objects, checkpoints: () => new CheckpointStore(objects, 'checkpoints') };
}

const weightsOf = async (objects: FileObjectStore, name = 'epoch-0003') => Buffer.from((await new CheckpointStore(objects, 'checkpoints').load(name)).files['weights.bin']!);

describe('trainEpochs with checkpoint retention', () => {
  let straightWeights: Buffer;
  let straightValLoss: number[];

  beforeAll(async () => {
    const straight = storeAt('straight');
    const full = await trainEpochs({ trial, data: small, checkpoints: straight.checkpoints() });
    expect(await straight.checkpoints().names()).toEqual(['epoch-0001', 'epoch-0002', 'epoch-0003']);
    straightWeights = await weightsOf(straight.objects);
    straightValLoss = full.history.map((m) => m.val_loss);
  });

  it('best: keeps the best epoch and the newest after every checkpoint, and still resumes exactly', async () => {
    const retained = storeAt('best');
    const seen: string[][] = [];
    let batches = 0;
    const stop = new AbortController();
    const first = await trainEpochs({
      trial,
      data: small,
      checkpoints: retained.checkpoints(),
      retention: best,
      onEpoch: async () => void seen.push(await retained.checkpoints().names()),
      onBatch: () => {
        batches += 1;
        if (batches === 8 + 3) stop.abort('shutdown'); // 3 batches into epoch 2
      },
      signal: stop.signal,
    });
    expect(first).toMatchObject({ status: 'stopped', epochsDone: 1 });
    expect(seen).toEqual([['epoch-0001']]);
    // The shutdown checkpoint is the newest; epoch 1 is the best epoch so far.
    expect(await retained.checkpoints().names()).toEqual(['epoch-0001', 'epoch-0001-batch-000003']);

    const second = await trainEpochs({
      trial,
      data: small,
      checkpoints: retained.checkpoints(),
      retention: best,
      onEpoch: async () => void seen.push(await retained.checkpoints().names()),
    });
    expect(second).toMatchObject({ status: 'completed', epochsDone: 3, resumedFrom: 'epoch-0001-batch-000003' });
    expect(second.history.map((m) => m.val_loss)).toEqual(straightValLoss);
    expect((await weightsOf(retained.objects)).equals(straightWeights)).toBe(true);

    // After each epoch: the best epoch by val_loss so far, and that epoch's checkpoint.
    const expected = [1, 2, 3].map((e) => [...new Set([bestCheckpoint(second.history.slice(0, e), best.metric)!, `epoch-000${e}`])].sort());
    expect(expected[2]).toEqual(['epoch-0001', 'epoch-0003']);
    expect(seen).toEqual(expected);
    expect(await retained.checkpoints().names()).toEqual(expected[2]);
    // Only the kept checkpoints are left, one object each.
    expect(await retained.objects.list('checkpoints/')).toEqual(expected[2]!.map((name) => `checkpoints/${name}.ckpt`));
  });

  it('latest: one checkpoint at a time, resumed exactly after a stop between epochs', async () => {
    const retained = storeAt('latest');
    const stop = new AbortController();
    const first = await trainEpochs({
      trial,
      data: small,
      checkpoints: retained.checkpoints(),
      retention: { keep: 'latest', metric: best.metric },
      onBatch: (p) => void (p.epoch === 2 && p.batch === p.batches && stop.abort('cancel')),
      signal: stop.signal,
    });
    expect(first).toMatchObject({ status: 'stopped', epochsDone: 2 });
    expect(await retained.checkpoints().names()).toEqual(['epoch-0002']);
    const second = await trainEpochs({ trial, data: small, checkpoints: retained.checkpoints(), retention: { keep: 'latest', metric: best.metric } });
    expect(second).toMatchObject({ status: 'completed', epochsDone: 3, resumedFrom: 'epoch-0002' });
    expect(await retained.checkpoints().names()).toEqual(['epoch-0003']);
    expect((await weightsOf(retained.objects)).equals(straightWeights)).toBe(true);
  });
});
