/**
 * Gives s3rver's filesystem store the guarantee S3 (and MinIO, and our own file store) makes
 * and the product relies on: a PUT replaces an object whole, so a GET sees the old bytes or the
 * new ones, never an empty or half-written file.
 *
 * s3rver 3.7 writes a PUT's body straight over the object's file (truncated first) and answers
 * before the write is flushed, and a GET takes the length from one stat and the bytes from a
 * later open. A test polling a trial's result.json while the worker rewrote it read zero bytes.
 * Here a PUT writes to a temporary file beside the object (its name does not end in s3rver's
 * object suffix, so listings skip it) and renames it over the object once the bytes are on disk;
 * a GET opens the file once and takes the length and the bytes from that one open file.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';

interface StoredObject {
  bucket: string;
  key: string;
  content: Buffer | Readable;
  metadata: Record<string, string>;
}

interface FilesystemStore {
  getResourcePath(bucket: string, key: string, resource: string): string;
  getMetadata(bucket: string, key: string): Promise<Record<string, string | number>>;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
  putObject(object: StoredObject): Promise<{ size: number; md5: string }>;
  getObject(bucket: string, key: string, options?: { start?: number; end?: number }): Promise<unknown>;
}

type S3ObjectClass = new (bucket: string, key: string, content: Readable | null, metadata: Record<string, string | number>) => { range?: { start: number; end: number } };

let temporaries = 0;

export function makeS3rverWritesAtomic(): void {
  const require = createRequire(import.meta.url);
  const Store = require('s3rver/lib/stores/filesystem') as { prototype: FilesystemStore };
  const S3Object = require('s3rver/lib/models/object') as S3ObjectClass;

  Store.prototype.putObject = async function putObject(this: FilesystemStore, object: StoredObject) {
    const path = this.getResourcePath(object.bucket, object.key, 'object');
    const tmp = `${path}.partial-${process.pid}-${++temporaries}`;
    await mkdir(dirname(path), { recursive: true });
    const md5 = createHash('md5');
    let size = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        md5.update(chunk);
        size += chunk.length;
        callback(null, chunk);
      },
    });
    const body = Buffer.isBuffer(object.content) ? [object.content] : object.content;
    try {
      // Resolves once the file is written and closed.
      await pipeline(body, counted, createWriteStream(tmp));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    const digest = md5.digest('hex');
    await rename(tmp, path);
    await this.putMetadata(object.bucket, object.key, object.metadata, digest);
    return { size, md5: digest };
  };

  Store.prototype.getObject = async function getObject(this: FilesystemStore, bucket: string, key: string, options?: { start?: number; end?: number }) {
    let file: FileHandle;
    try {
      file = await open(this.getResourcePath(bucket, key, 'object'), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    let metadata: Record<string, string | number>;
    let length: number;
    try {
      const stat = await file.stat();
      length = stat.size;
      metadata = { ...(await this.getMetadata(bucket, key)), 'content-length': length, 'last-modified': stat.mtime.toUTCString() };
    } catch (err) {
      await file.close();
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const ranged = options !== undefined && (options.start !== undefined || options.end !== undefined);
    const lastByte = Math.max(0, length - 1);
    const range = { start: options?.start ?? 0, end: Math.min(options?.end ?? Infinity, lastByte) };
    if (range.start < 0 || range.end < range.start) {
      await file.close();
      const object = new S3Object(bucket, key, null, metadata);
      if (ranged) object.range = range;
      return object;
    }
    const object = new S3Object(bucket, key, file.createReadStream({ start: range.start, end: range.end }), metadata);
    if (ranged) object.range = range;
    return object;
  };
}
