/**
 * The same training step in PyTorch (bench/torch_autoencoder.py), run by Debian's python3
 * (/usr/bin/python3, where python3-torch installs), for a side-by-side ratio.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runJsonChild } from './child-process.js';

const SYSTEM_PYTHON = '/usr/bin/python3';
export const TORCH_MISSING = 'PyTorch not installed (apt-get install python3-torch)';
const SCRIPT = fileURLToPath(new URL('./torch_autoencoder.py', import.meta.url));

interface TorchRun {
  threads: number;
  images_per_sec: number;
  step_ms: number[];
  param_count: number;
}

export interface TorchBenchResult {
  torch_version: string;
  filters: number[];
  batch: number;
  warmup: number;
  steps: number;
  runs: TorchRun[];
  peak_rss_mb: number;
}

export interface TorchBenchOptions {
  filters: readonly number[];
  batch: number;
  warmup: number;
  steps: number;
  threads: readonly number[];
}

/** Whether `import torch` works in the system python. */
export function torchAvailable(python = SYSTEM_PYTHON): boolean {
  const probe = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
  return probe.status === 0;
}

/** Runs the script, relaying its human-readable lines to `log`; resolves with its final JSON line. */
export async function runTorchBench(options: TorchBenchOptions, log: (line: string) => void, python = SYSTEM_PYTHON): Promise<TorchBenchResult> {
  const args = [
    '--filters', options.filters.join(','), '--batch', String(options.batch),
    '--warmup', String(options.warmup), '--steps', String(options.steps), '--threads', options.threads.join(','),
  ];
  const run = await runJsonChild<TorchBenchResult>(python, [SCRIPT, ...args], {
    resultOf: (line) => (line.startsWith('{') ? line : undefined),
    log,
  });
  if (run.parseError !== null) throw new Error(`${SCRIPT} printed bad JSON: ${run.parseError}`);
  if (run.result === null) {
    throw new Error(`${python} ${SCRIPT} exited with code ${run.code} without a JSON result: ${run.stderrTail.trim().slice(-2000)}`);
  }
  return run.result;
}
