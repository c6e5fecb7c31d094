import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileObjectStore } from './object-store.js';
import { openStore } from './store-factory.js';
import { fileStoreUrl, parseStoreUrl } from './store-url.js';

describe('parseStoreUrl', () => {
  it('reads s3://bucket/prefix', () => {
    expect(parseStoreUrl('s3://sweeps')).toEqual({ kind: 's3', bucket: 'sweeps', prefix: '' });
    expect(parseStoreUrl('s3://sweeps/team-a/2026/')).toEqual({ kind: 's3', bucket: 'sweeps', prefix: 'team-a/2026' });
  });

  it('reads file:///dir', () => {
    expect(parseStoreUrl('file:///data/sweeps/')).toEqual({ kind: 'file', dir: '/data/sweeps' });
    expect(parseStoreUrl(fileStoreUrl('/tmp/a b'))).toEqual({ kind: 'file', dir: '/tmp/a b' });
  });

  it('says what is wrong with anything else', () => {
    expect(() => parseStoreUrl('sweeps')).toThrow('must be a store URL: s3://bucket/prefix or file:///absolute/dir');
    expect(() => parseStoreUrl('gs://sweeps')).toThrow('must start with s3:// or file://');
    expect(() => parseStoreUrl('s3://UPPER')).toThrow(/valid bucket/);
    expect(() => parseStoreUrl('s3://sweeps/../etc')).toThrow("may have no '.' or '..' segment");
    expect(() => parseStoreUrl('file:///data/./sweeps')).toThrow("may have no '.' or '..' segment");
    expect(() => parseStoreUrl('s3://key:secret@sweeps')).toThrow(/credentials come from the AWS SDK/);
    expect(() => parseStoreUrl('file://host/dir')).toThrow('must be file:///absolute/dir (a file URL names no host)');
  });
});

describe('openStore', () => {
  it('opens a file:// URL as a directory of plain files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'open-store-'));
    try {
      const store = await openStore({ url: fileStoreUrl(dir), s3Region: 'us-east-1' });
      expect(store).toBeInstanceOf(FileObjectStore);
      await store.put('sweeps/a/result.json', '{}');
      expect(readFileSync(join(dir, 'sweeps', 'a', 'result.json'), 'utf8')).toBe('{}');
      expect(store.uri('sweeps/a/result.json')).toBe(join(dir, 'sweeps', 'a', 'result.json'));
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('opens an s3:// URL with its prefix', async () => {
    const store = await openStore({ url: 's3://sweeps/team-a', s3Endpoint: 'http://127.0.0.1:9', s3Region: 'us-east-1' });
    expect(store.uri('sweeps/a/result.json')).toBe('s3://sweeps/team-a/sweeps/a/result.json');
    store.close();
  });
});
