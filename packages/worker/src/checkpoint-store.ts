import { createHash } from 'node:crypto';
import type { KeepCheckpoints, ObjectStore } from '@denoise-sweep/shared';
import { PACKED_CHECKPOINT_SUFFIX, packCheckpoint, unpackCheckpoint } from '@denoise-sweep/shared';

/**
 * The files layout's manifest, written last: a checkpoint without one, or whose files do not
 * match it, does not count.
 */
const MANIFEST_FILE = 'manifest.json';

interface CheckpointManifest {
  format: 1;
  name: string;
  createdAt: string;
  files: Record<string, { bytes: number; sha256: string }>;
}

export interface Checkpoint {
  name: string;
  files: Record<string, Uint8Array>;
}

/** What a prune did: the checkpoints it left, and those whose files it deleted (stray files included). */
export interface PruneOutcome {
  kept: string[];
  removed: string[];
}

export interface CheckpointStoreOptions {
  /** Told about checkpoints that are skipped because they are incomplete or corrupt. */
  onWarning?: (message: string) => void;
  /** Told how each save went: its size and duration, or that it failed (after the store's retries). */
  onSave?: (info: { name: string; bytes: number; seconds: number; ok: boolean }) => void;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Names sort in training order: `epoch-0003` is the state after 3 whole epochs;
 * `epoch-0003-batch-000017` is 17 batches into the 4th (a checkpoint taken on shutdown).
 */
export function checkpointName(epochsDone: number, batchesIntoEpoch = 0): string {
  const base = `epoch-${String(epochsDone).padStart(4, '0')}`;
  return batchesIntoEpoch > 0 ? `${base}-batch-${String(batchesIntoEpoch).padStart(6, '0')}` : base;
}

const NAME_PATTERN = /^epoch-\d{4,}(-batch-\d{6,})?$/;

/** Where one checkpoint is: one packed object, or (written by earlier versions) a directory of files with a manifest. */
type Layout = 'packed' | 'files';

interface Listing {
  /** Every complete checkpoint by name. */
  complete: Map<string, Layout>;
  /** The keys under each checkpoint name, complete or not. */
  keysOf: Map<string, string[]>;
}

/**
 * Checkpoints of one trial under `<prefix>/`: each one object `<name>.ckpt` (packCheckpoint),
 * written by one PUT. Checkpoints that earlier versions wrote as `<name>/<file>` plus
 * `<name>/manifest.json` (written last) are still read, resumed from and pruned.
 */
export class CheckpointStore {
  /** Checkpoints this instance saved: pruning trusts them without reading them back. */
  private readonly saved = new Set<string>();
  /**
   * What the store holds, as latest() or the first prune listed it and every save and prune
   * since changed it: one trial's checkpoints have one writer (the worker holding its job), so
   * a resume's listing serves the prunes that follow, and they need no listing of their own.
   */
  private known: Listing | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string,
    private readonly options: CheckpointStoreOptions = {},
  ) {}

  /** The key of a checkpoint's object. */
  key(name: string): string {
    return `${this.prefix}/${name}${PACKED_CHECKPOINT_SUFFIX}`;
  }

  private fileKey(name: string, file: string): string {
    return `${this.prefix}/${name}/${file}`;
  }

  /** Writes the checkpoint as one object: it is in the store whole or not at all. */
  async save(name: string, files: Record<string, Uint8Array>): Promise<void> {
    if (!NAME_PATTERN.test(name)) throw new Error(`bad checkpoint name '${name}'`);
    const started = performance.now();
    const packed = packCheckpoint(name, files);
    try {
      await this.store.put(this.key(name), packed);
    } catch (error) {
      this.options.onSave?.({ name, bytes: 0, seconds: (performance.now() - started) / 1000, ok: false });
      throw error;
    }
    this.saved.add(name);
    if (this.known) {
      this.known.complete.set(name, 'packed');
      this.known.keysOf.set(name, [this.key(name)]);
    }
    this.options.onSave?.({ name, bytes: packed.length, seconds: (performance.now() - started) / 1000, ok: true });
  }

  /** Every complete checkpoint by name (packed, or files with a manifest), and the keys of each name. */
  private async listing(): Promise<Listing> {
    const complete = new Map<string, Layout>();
    const keysOf = new Map<string, string[]>();
    for (const key of await this.store.list(`${this.prefix}/`)) {
      const rest = key.slice(this.prefix.length + 1).split('/');
      let name: string;
      if (rest.length === 1 && rest[0]!.endsWith(PACKED_CHECKPOINT_SUFFIX)) {
        name = rest[0]!.slice(0, -PACKED_CHECKPOINT_SUFFIX.length);
        if (!NAME_PATTERN.test(name)) continue;
        complete.set(name, 'packed');
      } else if (rest.length === 2 && NAME_PATTERN.test(rest[0]!)) {
        name = rest[0]!;
        if (rest[1] === MANIFEST_FILE && complete.get(name) !== 'packed') complete.set(name, 'files');
      } else {
        continue;
      }
      keysOf.set(name, [...(keysOf.get(name) ?? []), key]);
    }
    return { complete, keysOf };
  }

  /** Names of complete checkpoints (not yet verified), oldest first. */
  async names(): Promise<string[]> {
    return [...(await this.listing()).complete.keys()].sort();
  }

  /** Reads a checkpoint and verifies every file's size and sha256; throws on any mismatch. */
  async load(name: string): Promise<Checkpoint> {
    const packed = await this.store.get(this.key(name));
    if (packed) return { name, files: unpackCheckpoint(packed, name) };
    return { name, files: await this.loadFiles(name) };
  }

  /** A checkpoint in the files layout, verified against its manifest. */
  private async loadFiles(name: string): Promise<Record<string, Uint8Array>> {
    const raw = await this.store.get(this.fileKey(name, MANIFEST_FILE));
    if (!raw) throw new Error(`checkpoint ${name} has no manifest`);
    let manifest: CheckpointManifest;
    try {
      manifest = JSON.parse(Buffer.from(raw).toString('utf8')) as CheckpointManifest;
    } catch {
      throw new Error(`checkpoint ${name} has an unreadable manifest`);
    }
    if (manifest.format !== 1 || typeof manifest.files !== 'object' || manifest.files === null) {
      throw new Error(`checkpoint ${name} has a manifest of unknown format`);
    }
    const files: Record<string, Uint8Array> = {};
    for (const [file, expected] of Object.entries(manifest.files)) {
      const bytes = await this.store.get(this.fileKey(name, file));
      if (!bytes) throw new Error(`checkpoint ${name} is missing ${file}`);
      if (bytes.length !== expected.bytes || sha256(bytes) !== expected.sha256) {
        throw new Error(`checkpoint ${name}: ${file} does not match its manifest (${bytes.length} bytes, expected ${expected.bytes})`);
      }
      files[file] = bytes;
    }
    return files;
  }

  /**
   * Deletes the checkpoints retention no longer needs. Keeps the newest complete checkpoint,
   * and for 'best' also `best` (the best epoch's checkpoint, see bestCheckpoint); 'all'
   * deletes nothing. Call it only after save() has resolved. Nothing is deleted unless the
   * newest checkpoint verifies (latest() would resume from it): one this instance saved is
   * known whole (its one PUT succeeded); any other is read back and checked first. Files-layout
   * checkpoints lose their manifest before their files, so one deleted half-way never counts
   * as complete; their files that never got a manifest (an interrupted save or prune) go too.
   * Nothing at or after the newest checkpoint is touched. The first prune lists the store
   * unless latest() did; later ones know what it holds from this instance's saves and prunes.
   */
  async prune(keep: KeepCheckpoints, best?: string): Promise<PruneOutcome> {
    if (keep === 'all') return { kept: await this.names(), removed: [] };
    this.known ??= await this.listing();
    try {
      return await this.pruneListed(this.known, keep, best);
    } catch (error) {
      this.known = undefined; // list again next time
      throw error;
    }
  }

  private async pruneListed({ complete, keysOf }: Listing, keep: Exclude<KeepCheckpoints, 'all'>, best: string | undefined): Promise<PruneOutcome> {
    const manifested = [...complete.keys()].sort();
    const newest = manifested.at(-1);
    if (newest === undefined) return { kept: [], removed: [] };
    if (!this.saved.has(newest)) {
      try {
        await this.load(newest);
      } catch (err) {
        this.options.onWarning?.(`${(err as Error).message}: not pruning, the older checkpoints stay`);
        return { kept: manifested, removed: [] };
      }
    }
    const kept = new Set([newest]);
    if (keep === 'best' && best !== undefined && manifested.includes(best)) kept.add(best);
    const removed: string[] = [];
    for (const name of [...keysOf.keys()].sort()) {
      if (kept.has(name) || name >= newest) continue;
      const keys = keysOf.get(name)!;
      const manifest = this.fileKey(name, MANIFEST_FILE);
      if (keys.includes(manifest)) await this.store.delete(manifest);
      complete.delete(name);
      await Promise.all(keys.filter((key) => key !== manifest).map((key) => this.store.delete(key)));
      keysOf.delete(name);
      removed.push(name);
    }
    return { kept: manifested.filter((name) => kept.has(name)), removed };
  }

  /**
   * The newest checkpoint that verifies; broken newer ones are skipped with a warning. Its
   * listing is what later prunes start from (a broken newest one stays until a newer save).
   */
  async latest(): Promise<Checkpoint | undefined> {
    const listing = await this.listing();
    this.known = listing;
    const names = [...listing.complete.keys()].sort();
    for (const name of names.reverse()) {
      try {
        return await this.load(name);
      } catch (err) {
        this.options.onWarning?.(`${(err as Error).message}: skipped, trying an older checkpoint`);
      }
    }
    return undefined;
  }
}
