import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { temporaryNameBeside, writeFileAtomic } from './atomic-file.js';

/**
 * The few object-store verbs training and the orchestrator need, with two backends chosen by
 * the store's URL (see openStore): an S3 bucket (`s3://`, `@denoise-sweep/shared/s3`) and a
 * directory (`file://`, FileObjectStore). Keys are '/'-separated relative paths.
 */
export interface ObjectStore {
  put(key: string, body: Uint8Array | string): Promise<void>;
  /**
   * Uploads a stream without holding it in memory (large checkpoints, datasets).
   * contentLength, when known, lets S3 use a single streamed PutObject instead of a multipart
   * upload. Pass a function that opens the stream (`() => createReadStream(path)`) to let a
   * remote store retry the whole upload after a transient failure; a bare stream can be
   * retried only while nothing has been read from it.
   */
  putStream(key: string, body: StreamSource, contentLength?: number): Promise<void>;
  /** The object's bytes, or undefined when there is no such key. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Whether the key exists (S3: HEAD), without reading the body. */
  exists(key: string): Promise<boolean>;
  /** Every key that starts with prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  /** Deletes the key; deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Where people find the object: s3://bucket/key, or a path on this machine that opens. */
  uri(key: string): string;
  /** Releases connections; the store is not used afterwards. */
  close(): void;
  /**
   * Network stores: fails within seconds, with what to fix, when the store cannot be used
   * (unreachable, no bucket, refused credentials). Commands call it before their work;
   * `signal` abandons it.
   */
  check?(options?: { signal?: AbortSignal }): Promise<void>;
}

/** An object's JSON, parsed, or undefined when there is no such key. */
export async function readJson<T>(store: ObjectStore, key: string): Promise<T | undefined> {
  const bytes = await store.get(key);
  return bytes ? (JSON.parse(Buffer.from(bytes).toString('utf8')) as T) : undefined;
}

/** A stream, or a function that opens a fresh one for each attempt. */
export type StreamSource = Readable | (() => Readable);

export function openStreamSource(source: StreamSource): Readable {
  return typeof source === 'function' ? source() : source;
}

/** Rejects keys that could escape the store's root or collide with directory entries. */
export function assertSafeKey(key: string): void {
  if (key === '' || key.startsWith('/') || key.endsWith('/') || key.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new Error(`unsafe object key '${key}': keys are relative paths without empty, '.' or '..' segments`);
  }
}

function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * An ObjectStore in a directory (`file:///dir`), local or on a shared filesystem. Objects are
 * plain files people can open. Writes are atomic: a temporary name beside the target, then a
 * rename, so a reader never sees half an object and a checkpoint's manifest, written last,
 * never names a missing file.
 */
export class FileObjectStore implements ObjectStore {
  constructor(readonly root: string) {}

  private path(key: string): string {
    assertSafeKey(key);
    return join(this.root, ...key.split('/'));
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, body);
  }

  async putStream(key: string, body: StreamSource, contentLength?: number): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = temporaryNameBeside(path);
    try {
      await pipeline(openStreamSource(body), createWriteStream(tmp));
      if (contentLength !== undefined) {
        const { size } = await stat(tmp);
        if (size !== contentLength) throw new Error(`stream for ${key} gave ${size} bytes, expected ${contentLength}`);
      }
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.path(key)));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.path(key))).isFile();
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      for (const entry of entries) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (!entry.name.endsWith('.tmp')) keys.push(relative(this.root, full).split(sep).join('/'));
      }
    };
    await walk(this.root);
    return keys.filter((k) => k.startsWith(prefix)).sort();
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  uri(key: string): string {
    return this.path(key);
  }

  close(): void {}
}
