import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectEngine } from './backend.js';
import { CheckpointStore } from './checkpoint-store.js';
import type { FashionMnist } from './fashion-mnist.js';
import { DEBIAN_FASHION_MNIST_DIR, loadFashionMnist } from './fashion-mnist.js';
import { FileObjectStore } from '@denoise-sweep/shared';
import { trainEpochs } from './epoch-loop.js';
import { TINY_TRIAL, trialOf } from './testing/tiny-trial.js';

const root = mkdtempSync(join(tmpdir(), 'trainer-'));
let small: FashionMnist;
const trial = TINY_TRIAL;

beforeAll(async () => {
  await selectEngine('cpu');
  small = await loadFashionMnist({ dir: DEBIAN_FASHION_MNIST_DIR, trainLimit: trial.dataset.train_limit, testLimit: trial.dataset.test_limit });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function storeAt(name: string): { objects: FileObjectStore; checkpoints: CheckpointStore } {
  const objects = new FileObjectStore(join(root, name));
  return { objects, checkpoints: new CheckpointStore(objects, 'checkpoints') };
}

async function finalFiles(objects: FileObjectStore, epoch = 'epoch-0003') {
  const { files } = await new CheckpointStore(objects, 'checkpoints').load(epoch);
  return { weights: Buffer.from(files['weights.bin']!), optimizer: Buffer.from(files['optimizer.bin']!) };
}

describe('trainEpochs', () => {
  it('resumes exactly: 3 epochs straight = 1 epoch, stop, resume for 2 more', async () => {
    const straight = storeAt('straight');
    const full = await trainEpochs({ trial, data: small, checkpoints: straight.checkpoints });
    expect(full.status).toBe('completed');
    expect(full.history.map((h) => h.epoch)).toEqual([1, 2, 3]);

    const interrupted = storeAt('interrupted');
    const stop = new AbortController();
    const first = await trainEpochs({
      trial,
      data: small,
      checkpoints: interrupted.checkpoints,
      // At the end of epoch 1's last batch: the loop checkpoints and stops before epoch 2's first.
      onBatch: (p) => void (p.batch === p.batches && stop.abort('cancel')),
      signal: stop.signal,
    });
    expect(first).toMatchObject({ status: 'stopped', stopReason: 'cancel', epochsDone: 1 });
    const second = await trainEpochs({ trial, data: small, checkpoints: interrupted.checkpoints });
    expect(second).toMatchObject({ status: 'completed', epochsDone: 3, resumedFrom: 'epoch-0001' });

    const a = await finalFiles(straight.objects);
    const b = await finalFiles(interrupted.objects);
    expect(a.weights.length).toBeGreaterThan(0);
    expect(b.weights.equals(a.weights)).toBe(true);
    expect(b.optimizer.equals(a.optimizer)).toBe(true);
    expect(second.history.map((h) => h.val_loss)).toEqual(full.history.map((h) => h.val_loss));
  });

  it('resumes exactly from a checkpoint taken in the middle of an epoch', async () => {
    const straight = storeAt('straight'); // trained by the previous test
    const mid = storeAt('mid');
    let batches = 0;
    const stop = new AbortController();
    const stopped = await trainEpochs({
      trial,
      data: small,
      checkpoints: mid.checkpoints,
      onBatch: () => {
        batches += 1;
        if (batches === 8 + 3) stop.abort(); // 8 batches an epoch: 3 batches into epoch 2
      },
      signal: stop.signal,
    });
    // A signal aborted without one of our reasons counts as a shutdown.
    expect(stopped).toMatchObject({ status: 'stopped', stopReason: 'shutdown' });
    expect(await mid.checkpoints.names()).toContain('epoch-0001-batch-000003');
    const resumed = await trainEpochs({ trial, data: small, checkpoints: mid.checkpoints });
    expect(resumed.resumedFrom).toBe('epoch-0001-batch-000003');
    const a = await finalFiles(straight.objects);
    const b = await finalFiles(mid.objects);
    expect(b.weights.equals(a.weights)).toBe(true);
    expect(resumed.history[1]!.train_loss).toBe((await savedHistory(straight))[1]!.train_loss);
  });

  it('skips a corrupt newest checkpoint with a warning and resumes exactly from the previous one', async () => {
    const straight = storeAt('straight'); // trained by the first test
    const damaged = storeAt('damaged');
    const stop = new AbortController();
    await trainEpochs({ trial, data: small, checkpoints: damaged.checkpoints, onBatch: (p) => void (p.epoch === 2 && p.batch === p.batches && stop.abort('shutdown')), signal: stop.signal });
    // One byte of the packed epoch-2 checkpoint's weights flipped: they no longer match its header.
    const packed = Buffer.from((await damaged.objects.get('checkpoints/epoch-0002.ckpt'))!);
    const headerEnd = packed.indexOf(0x0a);
    const header = JSON.parse(packed.subarray(0, headerEnd).toString()) as { files: Record<string, { bytes: number }> };
    expect(Object.keys(header.files).slice(0, 2)).toEqual(['model.json', 'weights.bin']);
    packed[headerEnd + 1 + header.files['model.json']!.bytes + 10]! ^= 0xff;
    await damaged.objects.put('checkpoints/epoch-0002.ckpt', packed);
    const warnings: string[] = [];
    const resumed = await trainEpochs({
      trial,
      data: small,
      checkpoints: new CheckpointStore(damaged.objects, 'checkpoints', { onWarning: (m) => warnings.push(m) }),
    });
    expect(warnings).toEqual([expect.stringMatching(/^checkpoint epoch-0002: weights.bin does not match its header .*: skipped/)]);
    expect(resumed.resumedFrom).toBe('epoch-0001');
    const a = await finalFiles(straight.objects);
    const b = await finalFiles(damaged.objects);
    expect(b.weights.equals(a.weights)).toBe(true);
  });

  it('leaks no tensors across epochs or trials', async () => {
    const before = tf.memory().numTensors;
    await trainEpochs({ trial: trialOf({ ...trial.params, epochs: 2 }, trial.dataset), data: small });
    const afterOne = tf.memory().numTensors;
    await trainEpochs({ trial: trialOf({ ...trial.params, epochs: 1, seed: 5 }, trial.dataset), data: small });
    expect(afterOne).toBe(before);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('writes an epoch\'s checkpoint while the next epoch trains, and has it saved before it ends', async () => {
    const slow = storeAt('slow-store');
    const events: string[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const put = slow.objects.put.bind(slow.objects);
    // The epoch-1 checkpoint's upload waits until epoch 2 has trained a batch.
    slow.objects.put = async (key, body) => {
      if (key.endsWith('epoch-0001.ckpt')) {
        events.push('upload 1 started');
        await held;
        events.push('upload 1 done');
      }
      return put(key, body);
    };
    const outcome = await trainEpochs({
      trial,
      data: small,
      checkpoints: slow.checkpoints,
      onBatch: (p) => {
        if (p.epoch === 2 && p.batch === 1) {
          events.push('epoch 2 batch 1');
          release();
        }
      },
      onEpoch: (r) => void events.push(`epoch ${r.epoch} recorded`),
    });
    expect(outcome.status).toBe('completed');
    expect(events.slice(0, 4)).toEqual(['upload 1 started', 'epoch 2 batch 1', 'upload 1 done', 'epoch 1 recorded']);
    expect(await slow.checkpoints.names()).toEqual(['epoch-0001', 'epoch-0002', 'epoch-0003']);
  });

  it('fails with the error of a checkpoint written in the background, once the writes are settled', async () => {
    const broken = storeAt('broken-store');
    const put = broken.objects.put.bind(broken.objects);
    broken.objects.put = async (key, body) => {
      if (key.endsWith('epoch-0002.ckpt')) throw new Error('disk full');
      return put(key, body);
    };
    const epochs: number[] = [];
    await expect(trainEpochs({ trial, data: small, checkpoints: broken.checkpoints, onEpoch: (r) => void epochs.push(r.epoch) })).rejects.toThrow(/disk full/);
    // Epoch 2's record is never reported without its checkpoint; epoch 3 never starts its own.
    expect(epochs).toEqual([1]);
    expect(await broken.checkpoints.names()).toEqual(['epoch-0001']);
  });

  it('refuses a checkpoint of another trial', async () => {
    const straight = storeAt('straight');
    await expect(trainEpochs({ trial: trialOf({ ...trial.params, learning_rate: 0.01 }, trial.dataset), data: small, checkpoints: straight.checkpoints })).rejects.toThrow(
      /belongs to trial [0-9a-f]{12}, not to [0-9a-f]{12}/,
    );
  });
});

async function savedHistory(s: { objects: FileObjectStore }) {
  const { files } = await new CheckpointStore(s.objects, 'checkpoints').load('epoch-0003');
  const state = JSON.parse(Buffer.from(files['trainer-state.json']!).toString()) as {
    history: { train_loss: number }[];
  };
  return state.history;
}

describe('denoising on real Fashion-MNIST', () => {
  it('beats the noisy input PSNR by at least 3 dB', async () => {
    const data = await loadFashionMnist({ dir: DEBIAN_FASHION_MNIST_DIR, trainLimit: 2000, testLimit: 200 });
    const outcome = await trainEpochs({
      trial: trialOf({ noise_factor: 0.5, filters: [8, 16], epochs: 2, batch_size: 32, learning_rate: 0.002, seed: 1 }, { train_limit: 2000, test_limit: 200 }),
      data,
    });
    const last = outcome.history.at(-1)!;
    expect(last.psnr - last.noisy_psnr).toBeGreaterThanOrEqual(3);
    expect(last.ssim).toBeGreaterThan(0.3);
    expect(outcome.samples?.count).toBe(10);
  });
});
