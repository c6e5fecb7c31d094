import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { FileObjectStore, assertSafeKey } from './object-store.js';

const root = mkdtempSync(join(tmpdir(), 'local-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('FileObjectStore', () => {
  it('puts, gets, checks existence, lists and deletes', async () => {
    const store = new FileObjectStore(join(root, 'a'));
    await store.put('x/one.txt', 'one');
    await store.put('x/y/two.bin', new Uint8Array([1, 2, 3]));
    await store.put('z.txt', 'z');
    expect(new TextDecoder().decode(await store.get('x/one.txt'))).toBe('one');
    expect(await store.get('x/y/two.bin')).toEqual(new Uint8Array([1, 2, 3]));
    expect(await store.get('missing')).toBeUndefined();
    expect(await store.get('z.txt/under-a-file')).toBeUndefined();
    expect(await store.exists('x/one.txt')).toBe(true);
    expect(await store.exists('x')).toBe(false);
    expect(await store.exists('nope/nothing')).toBe(false);
    expect(await store.list('x/')).toEqual(['x/one.txt', 'x/y/two.bin']);
    expect(await store.list('')).toEqual(['x/one.txt', 'x/y/two.bin', 'z.txt']);
    await store.delete('x/one.txt');
    await store.delete('x/one.txt');
    expect(await store.exists('x/one.txt')).toBe(false);
    expect(store.uri('z.txt')).toBe(join(root, 'a', 'z.txt'));
  });

  it('streams a body to disk and leaves no temporary file on a length mismatch', async () => {
    const store = new FileObjectStore(join(root, 'b'));
    const bytes = new Uint8Array(100_000).map((_, i) => i % 251);
    await store.putStream('s/data.bin', Readable.from([bytes.subarray(0, 40_000), bytes.subarray(40_000)]), bytes.length);
    expect(await store.get('s/data.bin')).toEqual(bytes);
    await expect(store.putStream('s/short.bin', Readable.from([bytes.subarray(0, 10)]), 11)).rejects.toThrow(/10 bytes, expected 11/);
    expect(readdirSync(join(root, 'b', 's'))).toEqual(['data.bin']);
  });

  it('rejects keys that escape the root', () => {
    for (const key of ['', '/abs', 'a/../b', 'a//b', 'dir/', './a']) expect(() => assertSafeKey(key)).toThrow(/unsafe object key/);
    expect(() => assertSafeKey('a/b.c')).not.toThrow();
  });
});
