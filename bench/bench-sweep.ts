/**
 * Sweeps for the benchmarks, written as sweep.yaml content (JSON is YAML) and parsed by the
 * project's own parser, so every trial is exactly what `orchestrator sweep` would enqueue.
 */
import type { SweepSpec, Trial } from '@denoise-sweep/shared';
import { expandSweep, parseSweepText } from '@denoise-sweep/shared';

export function benchSweep(file: Record<string, unknown>): { spec: SweepSpec; trials: Trial[] } {
  const spec = parseSweepText(JSON.stringify(file, null, 2), `bench sweep '${String(file.name)}'`);
  return { spec, trials: expandSweep(spec) };
}

/** A grid over `seeds`: one distinct trial per seed, otherwise identical. */
export function seedGridSweep(name: string, seeds: number, params: { filters: number[]; batch_size: number; epochs: number }, dataset: { train_limit: number; test_limit: number }) {
  return benchSweep({
    name,
    method: 'grid',
    parameters: {
      filters: { value: params.filters },
      batch_size: { value: params.batch_size },
      epochs: { value: params.epochs },
      seed: { values: Array.from({ length: seeds }, (_, i) => i + 1) },
    },
    dataset,
  });
}
