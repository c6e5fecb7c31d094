import type { ArtifactKeys, DatasetRef, ObjectStore, SweepSpec, Trial } from '@denoise-sweep/shared';
import { sweepId } from '@denoise-sweep/shared';

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

export async function readJson<T>(store: ObjectStore, key: string): Promise<T | undefined> {
  const bytes = await store.get(key);
  return bytes ? (JSON.parse(Buffer.from(bytes).toString('utf8')) as T) : undefined;
}

/** The sweep's record, or an error saying how to start it. */
export async function loadSweepRecord(store: ObjectStore, keys: ArtifactKeys, sweep: string): Promise<SweepRecord> {
  const record = await readJson<SweepRecord>(store, keys.sweepJson(sweep));
  if (!record) {
    throw new Error(`no sweep '${sweep}' in ${store.uri(keys.sweepJson(sweep))}: start it with 'orchestrator sweep FILE' (the sweep id is the slug of the file's name), or check S3_BUCKET / S3_PREFIX / --state-dir`);
  }
  return record;
}

/** Runs `f` over items with at most `limit` in flight, keeping order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, f: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return out;
}
