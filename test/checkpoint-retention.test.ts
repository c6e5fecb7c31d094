/**
 * Checkpoint retention (keep_checkpoints) on both object stores a worker uses: a local directory
 * and the S3 protocol (s3rver). Pruning must never cost a resume: the newest complete checkpoint
 * always stays, and a checkpoint deleted half-way is never taken for a complete one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ObjectStore } from '@denoise-sweep/shared';
import { FileObjectStore } from '@denoise-sweep/shared';
import type { EpochRecord } from '@denoise-sweep/shared';
import { CheckpointStore, checkpointName, pruneCheckpoints } from '@denoise-sweep/worker';
import { afterAll, describe, expect, it } from 'vitest';
import { saveCheckpointAsFiles } from './helpers/files-checkpoint.js';
import { useLocalServices } from './helpers/services.js';

const services = useLocalServices({ redis: false });
const localRoot = mkdtempSync(join(tmpdir(), 'retention-'));
afterAll(() => rmSync(localRoot, { recursive: true, force: true }));
let localCounter = 0;

const PREFIX = 'sweeps/s/trials/t/checkpoints';
const FILES = ['model.json', 'weights.bin', 'optimizer.json', 'optimizer.bin', 'trainer-state.json'];

const stores: [string, () => Promise<ObjectStore>][] = [
  ['a local directory', async () => new FileObjectStore(join(localRoot, String(++localCounter)))],
  ['S3 (s3rver)', () => services.newStore()],
];

/** A checkpoint's files, each saying whose it is. */
const filesOf = (name: string) => Object.fromEntries(FILES.map((f) => [f, new Uint8Array(Buffer.from(`${name}/${f}`))]));

/** Checkpoint names under the trial's checkpoints: packed objects, and directories with or without a manifest. */
async function dirs(objects: ObjectStore): Promise<string[]> {
  return [...new Set((await objects.list(`${PREFIX}/`)).map((k) => k.slice(PREFIX.length + 1).split('/')[0]!.replace(/\.ckpt$/, '')))].sort();
}

/** The objects of a checkpoint in the files layout. */
async function filesIn(objects: ObjectStore, name: string): Promise<string[]> {
  return (await objects.list(`${PREFIX}/${name}/`)).map((k) => k.split('/').at(-1)!);
}

const metrics = (epoch: number, valLoss: number, psnr: number): EpochRecord => ({
  epoch, train_loss: valLoss, val_loss: valLoss, psnr, ssim: 0.5, noisy_psnr: 10, train_seconds: 1, eval_seconds: 1, images_per_sec: 1,
});

describe.each(stores)('checkpoint retention on %s', (_label, fresh) => {
  /** `epochs` checkpoints saved by CheckpointStore (packed), or as an earlier version wrote them (files). */
  async function setup(epochs: number, layout: 'packed' | 'files' = 'packed') {
    const objects = await fresh();
    const warnings: string[] = [];
    const store = new CheckpointStore(objects, PREFIX, { onWarning: (m) => warnings.push(m) });
    for (let e = 1; e <= epochs; e++) {
      if (layout === 'packed') await store.save(checkpointName(e), filesOf(checkpointName(e)));
      else await saveCheckpointAsFiles(objects, PREFIX, checkpointName(e), filesOf(checkpointName(e)));
    }
    return { objects, store, warnings };
  }

  it('best: keeps the best epoch and the newest, deletes every other file', async () => {
    const { objects, store } = await setup(5);
    expect(await store.prune('best', 'epoch-0002')).toEqual({ kept: ['epoch-0002', 'epoch-0005'], removed: ['epoch-0001', 'epoch-0003', 'epoch-0004'] });
    expect(await objects.list(`${PREFIX}/`)).toEqual([`${PREFIX}/epoch-0002.ckpt`, `${PREFIX}/epoch-0005.ckpt`]);
    expect((await store.latest())?.name).toBe('epoch-0005');
    expect(Buffer.from((await store.load('epoch-0002')).files['weights.bin']!).toString()).toBe('epoch-0002/weights.bin');
    // Pruning again changes nothing.
    expect(await store.prune('best', 'epoch-0002')).toEqual({ kept: ['epoch-0002', 'epoch-0005'], removed: [] });
  });

  it('all: deletes nothing, not even stray files', async () => {
    const { objects, store } = await setup(3);
    await objects.put(`${PREFIX}/epoch-0001-batch-000004/weights.bin`, 'stray');
    const before = await objects.list(`${PREFIX}/`);
    expect((await store.prune('all', 'epoch-0001')).removed).toEqual([]);
    expect(await pruneCheckpoints(store, { keep: 'all', metric: { name: 'val_loss', goal: 'minimize' } }, [metrics(1, 0.1, 20)])).toBeUndefined();
    expect(await objects.list(`${PREFIX}/`)).toEqual(before);
  });

  it('latest: keeps only the newest, whatever is best', async () => {
    const { objects, store } = await setup(4);
    expect((await store.prune('latest', 'epoch-0001')).removed).toEqual(['epoch-0001', 'epoch-0002', 'epoch-0003']);
    expect(await dirs(objects)).toEqual(['epoch-0004']);
    expect((await store.latest())?.name).toBe('epoch-0004');
  });

  it('best by psnr, maximized: the best epoch comes from the history, not from val_loss', async () => {
    const { objects, store } = await setup(4);
    const history = [metrics(1, 0.05, 18), metrics(2, 0.02, 21), metrics(3, 0.03, 23), metrics(4, 0.04, 22)];
    const outcome = await pruneCheckpoints(store, { keep: 'best', metric: { name: 'psnr', goal: 'maximize' } }, history);
    expect(outcome).toEqual({ kept: ['epoch-0003', 'epoch-0004'], removed: ['epoch-0001', 'epoch-0002'] });
    expect(await dirs(objects)).toEqual(['epoch-0003', 'epoch-0004']);
  });

  it('killed after a new manifest and before pruning: resumes from the newest, and the next prune catches up', async () => {
    const { objects, store } = await setup(0);
    const history: EpochRecord[] = [];
    const retention = { keep: 'best', metric: { name: 'val_loss', goal: 'minimize' } } as const;
    for (const [e, loss] of [[1, 0.05], [2, 0.02], [3, 0.04]] as const) {
      await store.save(checkpointName(e), filesOf(checkpointName(e)));
      history.push(metrics(e, loss, 20));
      await pruneCheckpoints(store, retention, history);
    }
    expect(await dirs(objects)).toEqual(['epoch-0002', 'epoch-0003']);
    // Epoch 4 (and a shutdown checkpoint into epoch 5) are saved, then the process dies before pruning.
    await store.save('epoch-0004', filesOf('epoch-0004'));
    history.push(metrics(4, 0.03, 20));
    await store.save('epoch-0004-batch-000002', filesOf('epoch-0004-batch-000002'));

    const restarted = new CheckpointStore(objects, PREFIX);
    const latest = await restarted.latest();
    expect(latest?.name).toBe('epoch-0004-batch-000002');
    expect(Buffer.from(latest!.files['weights.bin']!).toString()).toBe('epoch-0004-batch-000002/weights.bin');
    const outcome = await pruneCheckpoints(restarted, retention, history);
    expect(outcome).toEqual({ kept: ['epoch-0002', 'epoch-0004-batch-000002'], removed: ['epoch-0003', 'epoch-0004'] });
    expect(await dirs(objects)).toEqual(['epoch-0002', 'epoch-0004-batch-000002']);
  });

  it('files layout: a checkpoint deleted half-way is never loaded and is cleaned up; a save in progress is left alone', async () => {
    const { objects, store, warnings } = await setup(4, 'files');
    // A prune that died after the manifest and one file of epoch-0002 were gone.
    await objects.delete(`${PREFIX}/epoch-0002/manifest.json`);
    await objects.delete(`${PREFIX}/epoch-0002/optimizer.bin`);
    // A save of epoch-0003-batch-000001 that died before its manifest (older than the newest).
    await objects.put(`${PREFIX}/epoch-0003-batch-000001/weights.bin`, 'interrupted save');
    // A save newer than the newest manifest: the trial's writer may be in the middle of it.
    await objects.put(`${PREFIX}/epoch-0005/weights.bin`, 'being written');

    expect(await store.names()).toEqual(['epoch-0001', 'epoch-0003', 'epoch-0004']);
    expect((await store.latest())?.name).toBe('epoch-0004');
    expect(warnings).toEqual([]);
    await expect(store.load('epoch-0002')).rejects.toThrow(/has no manifest/);

    expect(await store.prune('best', 'epoch-0001')).toEqual({ kept: ['epoch-0001', 'epoch-0004'], removed: ['epoch-0002', 'epoch-0003', 'epoch-0003-batch-000001'] });
    expect(await dirs(objects)).toEqual(['epoch-0001', 'epoch-0004', 'epoch-0005']);
    expect(await filesIn(objects, 'epoch-0005')).toEqual(['weights.bin']);
  });

  it.each(['packed', 'files'] as const)('deletes nothing while the newest checkpoint does not verify (%s)', async (layout) => {
    const { objects } = await setup(3, layout);
    if (layout === 'files') {
      await objects.put(`${PREFIX}/epoch-0003/weights.bin`, 'bit rot');
    } else {
      const packed = Buffer.from((await objects.get(`${PREFIX}/epoch-0003.ckpt`))!);
      packed[packed.length - 1]! ^= 1;
      await objects.put(`${PREFIX}/epoch-0003.ckpt`, packed);
    }
    const before = await objects.list(`${PREFIX}/`);
    // A restarted worker's store: it did not write epoch-0003, so it reads it back first.
    const warnings: string[] = [];
    const restarted = new CheckpointStore(objects, PREFIX, { onWarning: (m) => warnings.push(m) });
    expect(await restarted.prune('latest')).toEqual({ kept: ['epoch-0001', 'epoch-0002', 'epoch-0003'], removed: [] });
    expect(warnings).toEqual([expect.stringMatching(/^checkpoint epoch-0003: .* does not match its (manifest|header) .*: not pruning/)]);
    expect(await objects.list(`${PREFIX}/`)).toEqual(before);
    expect((await restarted.latest())?.name).toBe('epoch-0002');
  });

  it('touches nothing outside the trial\'s checkpoints or without a checkpoint name', async () => {
    const { objects, store } = await setup(2);
    await objects.put('sweeps/s/trials/t/result.json', '{}');
    await objects.put('sweeps/s/trials/t/checkpointsX/epoch-0001/weights.bin', 'neighbour');
    await objects.put(`${PREFIX}/notes/readme.txt`, 'not a checkpoint');
    await objects.put(`${PREFIX}/epoch-0001/extra/deep.bin`, 'nested');
    await store.prune('latest');
    expect(await objects.list('sweeps/')).toEqual([
      `${PREFIX}/epoch-0001/extra/deep.bin`,
      `${PREFIX}/epoch-0002.ckpt`,
      `${PREFIX}/notes/readme.txt`,
      'sweeps/s/trials/t/checkpointsX/epoch-0001/weights.bin',
      'sweeps/s/trials/t/result.json',
    ].sort());
  });
});
