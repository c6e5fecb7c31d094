/**
 * Times CheckpointStore.save (the worker's own checkpoint writer: every file and its sha256
 * packed into one object, one PUT) of a real checkpoint's files, copied from a finished trial.
 */
import type { ObjectStore } from '@denoise-sweep/shared';
import { CheckpointStore, checkpointName } from '@denoise-sweep/worker';
import { median } from './stats.js';

export interface CheckpointSaveResult {
  /** The checkpoint copied. */
  source: string;
  /** Files in the checkpoint (all in one object). */
  files: number;
  bytes: number;
  samplesMs: number[];
  medianMs: number;
}

export async function measureCheckpointSaves(store: ObjectStore, checkpointsPrefix: string, times: number): Promise<CheckpointSaveResult> {
  const latest = await new CheckpointStore(store, checkpointsPrefix).latest();
  if (!latest) throw new Error(`no checkpoint under ${checkpointsPrefix}`);
  const target = new CheckpointStore(store, `${checkpointsPrefix}-bench-copies`);
  const samplesMs: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    await target.save(checkpointName(i + 1), latest.files);
    samplesMs.push(Math.round((performance.now() - t0) * 10) / 10);
  }
  const sizes = Object.values(latest.files).map((f) => f.length);
  return {
    source: latest.name,
    files: sizes.length,
    bytes: sizes.reduce((a, b) => a + b, 0),
    samplesMs,
    medianMs: Math.round(median(samplesMs) * 10) / 10,
  };
}
