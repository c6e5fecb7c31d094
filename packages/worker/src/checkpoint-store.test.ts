import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointStore, checkpointName } from './checkpoint-store.js';
import type { ObjectStore } from '@denoise-sweep/shared';
import { FileObjectStore } from '@denoise-sweep/shared';
import { countingReads } from '../../../test/helpers/counting-reads.js';
import { saveCheckpointAsFiles } from '../../../test/helpers/files-checkpoint.js';

const root = mkdtempSync(join(tmpdir(), 'ckpt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const bytes = (s: string) => new Uint8Array(Buffer.from(s));

/** A store that records the keys it was asked to write and delete. */
function recordingStore(objects: ObjectStore): { store: ObjectStore; puts: string[]; deleted: string[] } {
  const puts: string[] = [];
  const deleted: string[] = [];
  const store: ObjectStore = Object.assign(Object.create(objects) as ObjectStore, {
    put: async (key: string, body: Uint8Array | string) => {
      puts.push(key);
      await objects.put(key, body);
    },
    delete: async (key: string) => {
      deleted.push(key);
      await objects.delete(key);
    },
  });
  return { store, puts, deleted };
}

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

  it('writes each checkpoint as one object, in one request', async () => {
    const objects = new FileObjectStore(join(root, 'one-object'));
    const { store: recording, puts } = recordingStore(objects);
    const store = new CheckpointStore(recording, 'ck');
    await store.save('epoch-0001', { 'model.json': bytes('{}'), 'weights.bin': bytes('weights'), 'trainer-state.json': bytes('{"epoch":1}') });
    expect(puts).toEqual(['ck/epoch-0001.ckpt']);
    expect(await objects.list('ck/')).toEqual(['ck/epoch-0001.ckpt']);
    expect(store.key('epoch-0001')).toBe('ck/epoch-0001.ckpt');
    const { files } = await store.load('epoch-0001');
    expect(Object.fromEntries(Object.entries(files).map(([f, b]) => [f, Buffer.from(b).toString()]))).toEqual({ 'model.json': '{}', 'weights.bin': 'weights', 'trainer-state.json': '{"epoch":1}' });
  });

  it('skips damaged packed checkpoints with a warning and uses the previous one', async () => {
    const objects = new FileObjectStore(join(root, 'packed-damaged'));
    const warnings: string[] = [];
    const store = new CheckpointStore(objects, 'ck', { onWarning: (m) => warnings.push(m) });
    await store.save('epoch-0001', { 'weights.bin': bytes('good weights') });
    await store.save('epoch-0002', { 'weights.bin': bytes('truncated later') });
    const two = (await objects.get('ck/epoch-0002.ckpt'))!;
    await objects.put('ck/epoch-0002.ckpt', two.subarray(0, two.length - 3));
    await store.save('epoch-0003', { 'weights.bin': bytes('a byte flipped later') });
    const three = Buffer.from((await objects.get('ck/epoch-0003.ckpt'))!);
    three[three.length - 1]! ^= 1;
    await objects.put('ck/epoch-0003.ckpt', three);
    await objects.put('ck/epoch-0004.ckpt', bytes('{not a header'));
    await objects.put('ck/epoch-0005.ckpt', Buffer.concat([(await objects.get('ck/epoch-0001.ckpt'))!, bytes('trailing')]));

    const latest = await store.latest();
    expect(latest?.name).toBe('epoch-0001');
    expect(Buffer.from(latest!.files['weights.bin']!).toString()).toBe('good weights');
    expect(warnings).toEqual([
      expect.stringMatching(/^checkpoint epoch-0005 has 8 bytes after its last file: skipped/),
      expect.stringMatching(/^checkpoint epoch-0004 is not a packed checkpoint \(no header\): skipped/),
      expect.stringMatching(/^checkpoint epoch-0003: weights.bin does not match its header .*: skipped/),
      expect.stringMatching(/^checkpoint epoch-0002: weights.bin does not match its header \(12 bytes, expected 15\): skipped/),
    ]);
  });

  it('reads checkpoints in the files layout, skipping incomplete and corrupt ones with a warning', async () => {
    const objects = new FileObjectStore(join(root, 'b'));
    const warnings: string[] = [];
    const store = new CheckpointStore(objects, 'ck', { onWarning: (m) => warnings.push(m) });
    await saveCheckpointAsFiles(objects, 'ck', 'epoch-0001', { 'weights.bin': bytes('good weights') });
    await saveCheckpointAsFiles(objects, 'ck', 'epoch-0002', { 'weights.bin': bytes('truncated later') });
    await objects.put('ck/epoch-0002/weights.bin', bytes('trunc'));
    await saveCheckpointAsFiles(objects, 'ck', 'epoch-0003', { 'weights.bin': bytes('missing later') });
    await objects.delete('ck/epoch-0003/weights.bin');
    await saveCheckpointAsFiles(objects, 'ck', 'epoch-0004', { 'weights.bin': bytes('bad manifest') });
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
    // A trial checkpointed by an earlier version goes on in the new layout.
    await store.save('epoch-0006', { 'weights.bin': bytes('new layout') });
    expect(await store.names()).toEqual(['epoch-0001', 'epoch-0002', 'epoch-0003', 'epoch-0004', 'epoch-0006']);
    expect(Buffer.from((await store.latest())!.files['weights.bin']!).toString()).toBe('new layout');
  });

  it('has nothing to resume from in an empty store', async () => {
    expect(await new CheckpointStore(new FileObjectStore(join(root, 'empty')), 'x').latest()).toBeUndefined();
  });

  it('prunes to the newest and the best, one request per packed checkpoint and each manifest before its files', async () => {
    const objects = new FileObjectStore(join(root, 'prune'));
    const { store: recording, deleted } = recordingStore(objects);
    const store = new CheckpointStore(recording, 'ck');
    // Two checkpoints of an earlier version (files), then two of this one (packed).
    await saveCheckpointAsFiles(objects, 'ck', 'epoch-0001', { 'weights.bin': bytes('epoch-0001'), 'optimizer.bin': bytes('epoch-0001') });
    await saveCheckpointAsFiles(objects, 'ck', 'epoch-0002', { 'weights.bin': bytes('epoch-0002'), 'optimizer.bin': bytes('epoch-0002') });
    for (const name of ['epoch-0003', 'epoch-0003-batch-000005']) {
      await store.save(name, { 'weights.bin': bytes(name), 'optimizer.bin': bytes(name) });
    }
    expect(await store.prune('all', 'epoch-0002')).toEqual({ kept: ['epoch-0001', 'epoch-0002', 'epoch-0003', 'epoch-0003-batch-000005'], removed: [] });
    expect(deleted).toEqual([]);

    expect(await store.prune('best', 'epoch-0002')).toEqual({ kept: ['epoch-0002', 'epoch-0003-batch-000005'], removed: ['epoch-0001', 'epoch-0003'] });
    const mine = deleted.filter((key) => key.startsWith('ck/epoch-0001/'));
    expect(mine[0]).toBe('ck/epoch-0001/manifest.json');
    expect([...mine].sort()).toEqual(['ck/epoch-0001/manifest.json', 'ck/epoch-0001/optimizer.bin', 'ck/epoch-0001/weights.bin']);
    expect(deleted.filter((key) => key.startsWith('ck/epoch-0003.') || key.startsWith('ck/epoch-0003/'))).toEqual(['ck/epoch-0003.ckpt']);
    expect(await store.names()).toEqual(['epoch-0002', 'epoch-0003-batch-000005']);
    expect((await store.latest())?.name).toBe('epoch-0003-batch-000005');

    expect(await store.prune('latest')).toEqual({ kept: ['epoch-0003-batch-000005'], removed: ['epoch-0002'] });
    expect(await objects.list('ck/')).toEqual(['ck/epoch-0003-batch-000005.ckpt']);
  });

  it('prunes without reading back a checkpoint it saved itself, lists the store once, and verifies any other checkpoint first', async () => {
    const objects = new FileObjectStore(join(root, 'prune-reads'));
    const { store: counting, counts } = countingReads(objects);
    const writer = new CheckpointStore(counting, 'ck');
    await writer.save('epoch-0001', { 'weights.bin': bytes('one') });
    await writer.save('epoch-0002', { 'weights.bin': bytes('two') });
    expect(await writer.prune('latest')).toEqual({ kept: ['epoch-0002'], removed: ['epoch-0001'] });
    // Per epoch after the first prune: one PUT and one DELETE, nothing read or listed.
    await writer.save('epoch-0003', { 'weights.bin': bytes('three') });
    await writer.save('epoch-0003-batch-000002', { 'weights.bin': bytes('three and a bit') });
    expect(await writer.prune('best', 'epoch-0003')).toEqual({ kept: ['epoch-0003', 'epoch-0003-batch-000002'], removed: ['epoch-0002'] });
    expect(await writer.prune('latest')).toEqual({ kept: ['epoch-0003-batch-000002'], removed: ['epoch-0003'] });
    expect([counts.gets, counts.lists]).toEqual([0, 1]);
    expect(await objects.list('ck/')).toEqual(['ck/epoch-0003-batch-000002.ckpt']);
    await writer.save('epoch-0004', { 'weights.bin': bytes('four') });
    // A restarted worker did not write epoch-0005: it lists, and reads it back before deleting the older ones.
    await new CheckpointStore(objects, 'ck').save('epoch-0005', { 'weights.bin': bytes('five') });
    expect(await new CheckpointStore(counting, 'ck').prune('latest')).toEqual({ kept: ['epoch-0005'], removed: ['epoch-0003-batch-000002', 'epoch-0004'] });
    expect([counts.gets, counts.lists]).toEqual([1, 2]);
  });

  it('starts pruning from the listing latest() took when it resumed: one listing per run of a trial', async () => {
    const objects = new FileObjectStore(join(root, 'prune-after-resume'));
    const { store: counting, counts } = countingReads(objects);
    const first = new CheckpointStore(objects, 'ck');
    await first.save('epoch-0001', { 'weights.bin': bytes('one') });
    await first.save('epoch-0002', { 'weights.bin': bytes('two') });
    // A fresh trial: nothing to resume, and nothing listed again when its first checkpoint is pruned.
    const fresh = new CheckpointStore(counting, 'fresh');
    expect(await fresh.latest()).toBeUndefined();
    await fresh.save('epoch-0001', { 'weights.bin': bytes('one') });
    expect(await fresh.prune('latest')).toEqual({ kept: ['epoch-0001'], removed: [] });
    expect(counts.lists).toBe(1);
    // A resumed trial: latest() lists, then each epoch's prune deletes what the listing and the saves since hold.
    const resumed = new CheckpointStore(counting, 'ck');
    expect((await resumed.latest())?.name).toBe('epoch-0002');
    await resumed.save('epoch-0003', { 'weights.bin': bytes('three') });
    expect(await resumed.prune('latest')).toEqual({ kept: ['epoch-0003'], removed: ['epoch-0001', 'epoch-0002'] });
    await resumed.save('epoch-0004', { 'weights.bin': bytes('four') });
    expect(await resumed.prune('best', 'epoch-0003')).toEqual({ kept: ['epoch-0003', 'epoch-0004'], removed: [] });
    expect(counts.lists).toBe(2);
    expect(await objects.list('ck/')).toEqual(['ck/epoch-0003.ckpt', 'ck/epoch-0004.ckpt']);
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
