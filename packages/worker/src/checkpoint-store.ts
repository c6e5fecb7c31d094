import { createHash } from 'node:crypto';
import type { KeepCheckpoints, ObjectStore } from '@denoise-sweep/shared';

/** The manifest is written last: a checkpoint without one, or whose files do not match it, does not count. */
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

/** Checkpoints of one trial under `<prefix>/<name>/<file>` in an object store. */
export class CheckpointStore {
  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string,
    private readonly options: CheckpointStoreOptions = {},
  ) {}

  key(name: string, file: string): string {
    return `${this.prefix}/${name}/${file}`;
  }

  /** Writes every file, then the manifest with their sizes and checksums. */
  async save(name: string, files: Record<string, Uint8Array>): Promise<void> {
    if (!NAME_PATTERN.test(name)) throw new Error(`bad checkpoint name '${name}'`);
    const started = performance.now();
    const manifest: CheckpointManifest = { format: 1, name, createdAt: new Date().toISOString(), files: {} };
    let bytes = 0;
    try {
      for (const [file, content] of Object.entries(files)) {
        await this.store.put(this.key(name, file), content);
        manifest.files[file] = { bytes: content.length, sha256: sha256(content) };
        bytes += content.length;
      }
      await this.store.put(this.key(name, MANIFEST_FILE), JSON.stringify(manifest, null, 1));
    } catch (error) {
      this.options.onSave?.({ name, bytes, seconds: (performance.now() - started) / 1000, ok: false });
      throw error;
    }
    this.options.onSave?.({ name, bytes, seconds: (performance.now() - started) / 1000, ok: true });
  }

  /** Names of checkpoints that have a manifest, oldest first (not yet verified). */
  async names(): Promise<string[]> {
    const keys = await this.store.list(`${this.prefix}/`);
    const names = new Set<string>();
    for (const key of keys) {
      const rest = key.slice(this.prefix.length + 1).split('/');
      if (rest.length === 2 && rest[1] === MANIFEST_FILE && NAME_PATTERN.test(rest[0]!)) names.add(rest[0]!);
    }
    return [...names].sort();
  }

  /** Reads a checkpoint and verifies it against its manifest; throws on any mismatch. */
  async load(name: string): Promise<Checkpoint> {
    const raw = await this.store.get(this.key(name, MANIFEST_FILE));
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
      const bytes = await this.store.get(this.key(name, file));
      if (!bytes) throw new Error(`checkpoint ${name} is missing ${file}`);
      if (bytes.length !== expected.bytes || sha256(bytes) !== expected.sha256) {
        throw new Error(`checkpoint ${name}: ${file} does not match its manifest (${bytes.length} bytes, expected ${expected.bytes})`);
      }
      files[file] = bytes;
    }
    return { name, files };
  }

  /**
   * Deletes the checkpoints retention no longer needs. Keeps the newest checkpoint that has a
   * manifest, and for 'best' also `best` (the best epoch's checkpoint, see bestCheckpoint);
   * 'all' deletes nothing. Call it only after save() has resolved, so the newest manifest is
   * stored. Nothing is deleted unless the newest checkpoint verifies (latest() would resume from
   * it); older ones lose their manifest first, so one deleted half-way never counts as complete.
   * Files of older checkpoints that never got a manifest (a save or a prune that was
   * interrupted) go too; nothing at or after the newest checkpoint is touched.
   */
  async prune(keep: KeepCheckpoints, best?: string): Promise<PruneOutcome> {
    if (keep === 'all') return { kept: await this.names(), removed: [] };
    const byName = new Map<string, string[]>();
    for (const key of await this.store.list(`${this.prefix}/`)) {
      const rest = key.slice(this.prefix.length + 1).split('/');
      if (rest.length !== 2 || !NAME_PATTERN.test(rest[0]!)) continue;
      byName.set(rest[0]!, [...(byName.get(rest[0]!) ?? []), key]);
    }
    const manifested = [...byName.keys()].filter((name) => byName.get(name)!.includes(this.key(name, MANIFEST_FILE))).sort();
    const newest = manifested.at(-1);
    if (newest === undefined) return { kept: [], removed: [] };
    try {
      await this.load(newest);
    } catch (err) {
      this.options.onWarning?.(`${(err as Error).message}: not pruning, the older checkpoints stay`);
      return { kept: manifested, removed: [] };
    }
    const kept = new Set([newest]);
    if (keep === 'best' && best !== undefined && manifested.includes(best)) kept.add(best);
    const removed: string[] = [];
    for (const name of [...byName.keys()].sort()) {
      if (kept.has(name) || name >= newest) continue;
      const manifest = this.key(name, MANIFEST_FILE);
      const keys = byName.get(name)!;
      if (keys.includes(manifest)) await this.store.delete(manifest);
      await Promise.all(keys.filter((key) => key !== manifest).map((key) => this.store.delete(key)));
      removed.push(name);
    }
    return { kept: manifested.filter((name) => kept.has(name)), removed };
  }

  /** The newest checkpoint that verifies; broken newer ones are skipped with a warning. */
  async latest(): Promise<Checkpoint | undefined> {
    const names = await this.names();
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
