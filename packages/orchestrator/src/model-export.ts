import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ArtifactKeys, ObjectStore, SweepMetric, TrialResult } from '@denoise-sweep/shared';
import { PACKED_CHECKPOINT_SUFFIX, mapLimit, readJson, unpackCheckpoint, UsageError, writeFileAtomic } from '@denoise-sweep/shared';
import type { SweepRecord } from './sweep-record.js';
import { storedTrialIds } from './sweep-record.js';

/**
 * The verified files of a final checkpoint: one packed object (`.ckpt`), or a directory of
 * files with a manifest (written by earlier versions).
 */
async function checkpointFiles(store: ObjectStore, checkpoint: string): Promise<Record<string, Uint8Array>> {
  const name = checkpoint.slice(checkpoint.lastIndexOf('/') + 1);
  if (checkpoint.endsWith(PACKED_CHECKPOINT_SUFFIX)) {
    const packed = await required(store, checkpoint, 'the final checkpoint');
    try {
      return unpackCheckpoint(packed, name.slice(0, -PACKED_CHECKPOINT_SUFFIX.length));
    } catch (error) {
      throw new Error(`${store.uri(checkpoint)}: ${(error as Error).message}: the checkpoint is damaged`);
    }
  }
  const manifest = JSON.parse(Buffer.from(await required(store, `${checkpoint}/manifest.json`, 'the final checkpoint\'s manifest')).toString('utf8')) as {
    files: Record<string, { bytes: number; sha256: string }>;
  };
  const files: Record<string, Uint8Array> = {};
  for (const file of ['model.json', 'weights.bin']) {
    const bytes = await required(store, `${checkpoint}/${file}`, `${file} of the final checkpoint`);
    const expected = manifest.files[file];
    if (!expected || expected.bytes !== bytes.length || expected.sha256 !== sha256(bytes)) {
      throw new Error(`${file} of ${store.uri(checkpoint)} does not match its manifest: the checkpoint is damaged`);
    }
    files[file] = bytes;
  }
  return files;
}

/** The files `orchestrator export` writes: the model in the tfjs Layers format, and what made it. */
const EXPORTED_FILES = ['model.json', 'weights.bin', 'config.json', 'metrics.jsonl', 'result.json'] as const;

export interface ExportedModel {
  sweep: string;
  trial: string;
  /** The directory written, absolute. */
  dir: string;
  files: string[];
  /** The trial's final metrics, for the summary. */
  final: TrialResult['final'];
  checkpoint: string;
}

/** The finished trial that is best by the sweep's metric (ties: the first in sweep order), or undefined. */
export function bestResult(results: readonly TrialResult[], metric: SweepMetric): TrialResult | undefined {
  let best: TrialResult | undefined;
  for (const r of results) {
    const value = r.final[metric.name];
    if (!Number.isFinite(value)) continue;
    if (best === undefined || (metric.goal === 'minimize' ? value < best.final[metric.name] : value > best.final[metric.name])) best = r;
  }
  return best;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Reads an object the export needs, or says which one is missing. */
async function required(store: ObjectStore, key: string, what: string): Promise<Uint8Array> {
  const bytes = await store.get(key);
  if (!bytes) throw new Error(`${what} is missing from the store (${store.uri(key)})`);
  return bytes;
}

/**
 * Writes a finished trial's trained model to `out` as model.json + weights.bin (the final
 * checkpoint's, checked against its manifest), which `tf.loadLayersModel` loads, with the
 * trial's config.json, metrics.jsonl and result.json beside them. Default: the sweep's best trial.
 */
export async function exportTrialModel(options: {
  store: ObjectStore;
  keys: ArtifactKeys;
  record: SweepRecord;
  trial?: string;
  out: string;
}): Promise<ExportedModel> {
  const { store, keys, record } = options;
  const sweep = record.id;
  let result: TrialResult | undefined;
  const trialIds = await storedTrialIds(record, store, keys);
  if (options.trial !== undefined) {
    if (!trialIds.includes(options.trial)) {
      throw new UsageError(`sweep ${sweep} has no trial '${options.trial}': 'orchestrator results ${sweep}' lists its trials`);
    }
    result = await readJson<TrialResult>(store, keys.result(sweep, options.trial));
    if (!result) throw new UsageError(`trial ${options.trial} of sweep ${sweep} has not finished: there is no model to export yet ('orchestrator status ${sweep}')`);
  } else {
    const results = (await mapLimit(trialIds, 16, (id) => readJson<TrialResult>(store, keys.result(sweep, id))))
      .filter((r): r is TrialResult => r !== undefined);
    result = bestResult(results, record.metric);
    if (!result) throw new UsageError(`sweep ${sweep} has no finished trial yet: there is no model to export ('orchestrator status ${sweep}')`);
  }
  const checkpoint = result.checkpoint_key;
  const files = await checkpointFiles(store, checkpoint);
  const model: Record<string, Uint8Array> = {};
  for (const file of ['model.json', 'weights.bin']) {
    const bytes = files[file];
    if (!bytes) throw new Error(`${store.uri(checkpoint)} has no ${file}: the checkpoint is damaged`);
    model[file] = bytes;
  }
  const dir = resolve(options.out);
  await mkdir(dir, { recursive: true });
  const contents: Record<(typeof EXPORTED_FILES)[number], Uint8Array> = {
    'model.json': model['model.json']!,
    'weights.bin': model['weights.bin']!,
    'config.json': await required(store, keys.trialConfig(sweep, result.trial), 'the trial\'s config.json'),
    'metrics.jsonl': await required(store, keys.metrics(sweep, result.trial), 'the trial\'s metrics.jsonl'),
    'result.json': Buffer.from(JSON.stringify(result, null, 2)),
  };
  for (const file of EXPORTED_FILES) await writeFileAtomic(join(dir, file), contents[file]);
  return { sweep, trial: result.trial, dir, files: EXPORTED_FILES.map((f) => join(dir, f)), final: result.final, checkpoint: store.uri(checkpoint) };
}
