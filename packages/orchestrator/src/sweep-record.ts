import type { ArtifactKeys, DatasetRef, ObjectStore, SweepSpec, Trial } from '@denoise-sweep/shared';
import { isAdaptiveMethod, jobIdFor, readJson, slotJobId, sweepId } from '@denoise-sweep/shared';

/** sweeps/<sweep>/sweep.json: the sweep as last run, with the ids of its trials. */
export interface SweepRecord {
  format: 1;
  id: string;
  name: string;
  description?: string;
  method: SweepSpec['method'];
  metric: SweepSpec['metric'];
  dataset: SweepSpec['dataset'];
  dataset_ref: DatasetRef;
  trial_ids: string[];
  spec: SweepSpec;
  updated_at: string;
}

export function sweepRecord(spec: SweepSpec, trials: readonly Trial[], datasetRef: DatasetRef): SweepRecord {
  return {
    format: 1,
    id: sweepId(spec),
    name: spec.name,
    description: spec.description,
    method: spec.method,
    metric: spec.metric,
    dataset: spec.dataset,
    dataset_ref: datasetRef,
    trial_ids: trials.map((t) => t.id),
    spec,
    updated_at: new Date().toISOString(),
  };
}

/** The sweep's record, or an error saying how to start it. */
export async function loadSweepRecord(store: ObjectStore, keys: ArtifactKeys, sweep: string): Promise<SweepRecord> {
  const record = await readJson<SweepRecord>(store, keys.sweepJson(sweep));
  if (!record) {
    throw new Error(`no sweep '${sweep}' in ${store.uri(keys.sweepJson(sweep))}: start it with 'orchestrator sweep FILE' (the sweep id is the slug of the file's name), or check STORE_URL / --store / --state-dir`);
  }
  return record;
}

/**
 * The ids of the sweep's trials known to the store: the expanded ones, or for an adaptive
 * sweep each suggested trial (its worker wrote its config.json before training it).
 */
export async function storedTrialIds(record: SweepRecord, store: ObjectStore, keys: ArtifactKeys): Promise<string[]> {
  if (!isAdaptiveMethod(record.spec.method)) return record.trial_ids;
  const prefix = `${keys.sweepDir(record.id)}/trials/`;
  const ids = (await store.list(prefix)).filter((k) => k.endsWith('/config.json')).map((k) => k.slice(prefix.length).split('/')[0]!);
  return [...new Set(ids)].sort();
}

/** Every queue job the sweep may have: one per trial, or one per slot of an adaptive sweep. */
export function sweepJobIds(record: SweepRecord): string[] {
  if (!isAdaptiveMethod(record.spec.method)) return record.trial_ids.map((id) => jobIdFor(record.id, id));
  return Array.from({ length: record.spec.run_cap ?? 0 }, (_, slot) => slotJobId(record.id, slot));
}
