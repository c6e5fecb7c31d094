/**
 * One real adaptive sweep, end to end: tpe with ASHA (pause mode) over the benchmark's space,
 * run by the orchestrator in local mode into a fresh temporary state dir (deleted after),
 * measured the way the replay measures a run, and checked against the table's curves.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactKeys, parseSweepText, sweepId, type TrialResult } from '@denoise-sweep/shared';
import { configKeyOf, sweepFileText, type ReplayTable, type SearchSpaceDef } from './search-replay.js';
import { runLocalSweep, sweepResults, sweepStatus, trialMetrics } from './search-orchestrator.js';
import { round } from './stats.js';

/** The sweep's name; the replay's prediction uses the same one, since its id seeds tpe. */
export const E2E_SWEEP_NAME = 'search bench adaptive';
export const E2E_WORKERS = 2;

export interface E2eResult {
  sweep: string;
  runCap: number;
  workers: number;
  wallSeconds: number;
  /** Trials by state, from `status --json`. */
  counts: { done: number; stopped: number; paused: number; other: number };
  trials: number;
  /** Sum of the epochs in every trial's metrics.jsonl. */
  epochsTrained: number;
  /** Best PSNR at any epoch's end, across every trial's metrics.jsonl. */
  bestPsnr: number | null;
  /** Trials that resumed after a pause (result.json's resumed_from set). */
  resumed: number;
  /** Largest |real PSNR - table PSNR| over every epoch trained (null: nothing to compare). */
  tableMaxAbsDiffDb: number | null;
  /** Trials whose configuration is not in the table (should be 0). */
  trialsOutsideTable: number;
}

export async function runE2eSweep(space: SearchSpaceDef, runCap: number, table: ReplayTable, log: (line: string) => void): Promise<E2eResult> {
  const text = sweepFileText(space, {
    name: E2E_SWEEP_NAME,
    method: 'tpe',
    run_cap: runCap,
    search_seed: 0,
    early_terminate: { type: 'asha', grace_period: 1, reduction_factor: 3 },
    keep_checkpoints: 'latest',
  });
  const sweep = sweepId(parseSweepText(text, 'search e2e sweep'));
  const dir = await mkdtemp(join(tmpdir(), 'search-e2e-'));
  try {
    const file = join(dir, 'sweep.yaml');
    await writeFile(file, text);
    const stateDir = join(dir, 'state');
    log(`real sweep: tpe + asha {grace_period: 1, reduction_factor: 3} (pause), run_cap ${runCap}, local mode, ${E2E_WORKERS} workers, state in ${stateDir}`);
    const started = performance.now();
    await runLocalSweep(file, stateDir, E2E_WORKERS, (line) => log(`  ${line}`));
    const wallSeconds = round((performance.now() - started) / 1000, 1);
    const status = await sweepStatus(sweep, stateDir);
    const rows = await sweepResults(sweep, stateDir);
    const curves = new Map(table.rows.map((r) => [configKeyOf(r.params), r.psnr]));
    let epochsTrained = 0;
    let best: number | null = null;
    let diff: number | null = null;
    let outside = 0;
    for (const row of rows) {
      const metrics = await trialMetrics(stateDir, sweep, row.trial);
      epochsTrained += metrics.length;
      const curve = curves.get(configKeyOf(row));
      if (!curve) outside += 1;
      for (const m of metrics) {
        best = best === null ? m.psnr : Math.max(best, m.psnr);
        const expected = curve?.[m.epoch - 1];
        if (expected !== undefined) diff = Math.max(diff ?? 0, Math.abs(m.psnr - expected));
      }
    }
    const c = status.counts;
    const known = (c.done ?? 0) + (c.stopped ?? 0) + (c.paused ?? 0);
    const total = Object.values(c).reduce((a, b) => a + b, 0);
    return {
      sweep,
      runCap,
      workers: E2E_WORKERS,
      wallSeconds,
      counts: { done: c.done ?? 0, stopped: c.stopped ?? 0, paused: c.paused ?? 0, other: total - known },
      trials: status.trials.length,
      epochsTrained,
      bestPsnr: best === null ? null : round(best, 3),
      resumed: await countResumed(stateDir, sweep, rows.map((r) => r.trial)),
      tableMaxAbsDiffDb: diff === null ? null : round(diff, 4),
      trialsOutsideTable: outside,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function countResumed(stateDir: string, sweep: string, trials: readonly string[]): Promise<number> {
  const keys = new ArtifactKeys();
  let n = 0;
  for (const trial of trials) {
    const text = await readFile(join(stateDir, 'store', keys.result(sweep, trial)), 'utf8').catch(() => null);
    if (text !== null && (JSON.parse(text) as TrialResult).resumed_from !== null) n += 1;
  }
  return n;
}
