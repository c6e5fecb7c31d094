import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointStore, checkpointName } from './checkpoint-store.js';
import type { ObjectStore } from '@denoise-sweep/shared';
import { FileObjectStore } from '@denoise-sweep/shared';

const root = mkdtempSync(join(tmpdir(), 'ckpt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const bytes = (s: string) => new Uint8Array(Buffer.from(s));

describe('CheckpointStore', () => {
  it('names sort in training order', () => {
    const names = [checkpointName(2), checkpointName(1, 17), checkpointName(1), checkpointName(10), checkpointName(1, 3)];
    expect([...names].sort()).toEqual(['epoch-0001', 'epoch-0001-batch-000003', 'epoch-0001-batch-000017', 'epoch-0002', 'epoch-0010']);
  });

  it('round-trips files and finds the newest', async () => {
    const store = new CheckpointStore(new FileObjectStore(join(root, 'a')), 'trials/t1/checkpoints');
    await store.save('epoch-0001', { 'weights.bin': bytes('one'), 'state.json': bytes('{}') });
    await store.save('epoch-0002', { 'weights.bin': bytes('two'), 'state.json': bytes('{}') });
    const latest = await store.latest();
    expect(latest?.name).toBe('epoch-0002');
    expect(Buffer.from(latest!.files['weights.bin']!).toString()).toBe('two');
  });

  it('skips incomplete and corrupt checkpoints with a warning and uses the previous one', async () => {
    const objects = new FileObjectStore(join(root, 'b'));
    const warnings: string[] = [];
    const store = new CheckpointStore(objects, 'ck', { onWarning: (m) => warnings.push(m) });
    await store.save('epoch-0001', { 'weights.bin': bytes('good weights') });
    await store.save('epoch-0002', { 'weights.bin': bytes('truncated later') });
    await objects.put('ck/epoch-0002/weights.bin', bytes('trunc'));
    await store.save('epoch-0003', { 'weights.bin': bytes('missing later') });
    await objects.delete('ck/epoch-0003/weights.bin');
    await store.save('epoch-0004', { 'weights.bin': bytes('bad manifest') });
    await objects.put('ck/epoch-0004/manifest.json', '{not json');
    await objects.put('ck/epoch-0005/weights.bin', bytes('no manifest: written last, never got there'));

    const latest = await store.latest();
    expect(latest?.name).toBe('epoch-0001');
    expect(Buffer.from(latest!.files['weights.bin']!).toString()).toBe('good weights');
    expect(warnings).toEqual([
      expect.stringMatching(/^checkpoint epoch-0004 has an unreadable manifest: skipped/),
      expect.stringMatching(/^checkpoint epoch-0003 is missing weights.bin: skipped/),
      expect.stringMatching(/^checkpoint epoch-0002: weights.bin does not match its manifest .*: skipped/),
    ]);
  });

  it('has nothing to resume from in an empty store', async () => {
    expect(await new CheckpointStore(new FileObjectStore(join(root, 'empty')), 'x').latest()).toBeUndefined();
  });

  it('prunes to the newest and the best, deleting each manifest before its files', async () => {
    const objects = new FileObjectStore(join(root, 'prune'));
    const deleted: string[] = [];
    const recording: ObjectStore = Object.assign(Object.create(objects) as ObjectStore, {
      delete: async (key: string) => {
        deleted.push(key);
        await objects.delete(key);
      },
    });
    const store = new CheckpointStore(recording, 'ck');
    for (const name of ['epoch-0001', 'epoch-0002', 'epoch-0003', 'epoch-0003-batch-000005']) {
      await store.save(name, { 'weights.bin': bytes(name), 'optimizer.bin': bytes(name) });
    }
    expect(await store.prune('all', 'epoch-0002')).toEqual({ kept: ['epoch-0001', 'epoch-0002', 'epoch-0003', 'epoch-0003-batch-000005'], removed: [] });
    expect(deleted).toEqual([]);

    expect(await store.prune('best', 'epoch-0002')).toEqual({ kept: ['epoch-0002', 'epoch-0003-batch-000005'], removed: ['epoch-0001', 'epoch-0003'] });
    for (const name of ['epoch-0001', 'epoch-0003']) {
      const mine = deleted.filter((key) => key.startsWith(`ck/${name}/`));
      expect(mine[0]).toBe(`ck/${name}/manifest.json`);
      expect([...mine].sort()).toEqual([`ck/${name}/manifest.json`, `ck/${name}/optimizer.bin`, `ck/${name}/weights.bin`]);
    }
    expect(await store.names()).toEqual(['epoch-0002', 'epoch-0003-batch-000005']);
    expect((await store.latest())?.name).toBe('epoch-0003-batch-000005');

    expect(await store.prune('latest')).toEqual({ kept: ['epoch-0003-batch-000005'], removed: ['epoch-0002'] });
    expect(await objects.list('ck/')).toEqual(['ck/epoch-0003-batch-000005/manifest.json', 'ck/epoch-0003-batch-000005/optimizer.bin', 'ck/epoch-0003-batch-000005/weights.bin']);
  });

  it('prunes nothing in an empty store or one with only an unfinished save', async () => {
    const objects = new FileObjectStore(join(root, 'prune-empty'));
    const store = new CheckpointStore(objects, 'ck');
    expect(await store.prune('latest')).toEqual({ kept: [], removed: [] });
    await objects.put('ck/epoch-0001/weights.bin', bytes('save in progress'));
    expect(await store.prune('latest')).toEqual({ kept: [], removed: [] });
    expect(await objects.list('ck/')).toEqual(['ck/epoch-0001/weights.bin']);
  });

  it('refuses unsafe keys', async () => {
    const objects = new FileObjectStore(join(root, 'c'));
    await expect(objects.put('../escape', 'x')).rejects.toThrow(/unsafe object key/);
    await expect(objects.put('/abs', 'x')).rejects.toThrow(/unsafe object key/);
  });
});
