/**
 * The same training step in PyTorch (bench/torch_autoencoder.py), run by Debian's python3
 * (/usr/bin/python3, where python3-torch installs), for a side-by-side ratio.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const SYSTEM_PYTHON = '/usr/bin/python3';
export const TORCH_MISSING = 'PyTorch not installed (apt-get install python3-torch)';
const SCRIPT = fileURLToPath(new URL('./torch_autoencoder.py', import.meta.url));

export interface TorchRun {
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
export function runTorchBench(options: TorchBenchOptions, log: (line: string) => void, python = SYSTEM_PYTHON): Promise<TorchBenchResult> {
  const args = [
    SCRIPT, '--filters', options.filters.join(','), '--batch', String(options.batch),
    '--warmup', String(options.warmup), '--steps', String(options.steps), '--threads', options.threads.join(','),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      let nl: number;
      while ((nl = stdout.indexOf('\n')) >= 0) {
        const line = stdout.slice(0, nl);
        stdout = stdout.slice(nl + 1);
        if (line.startsWith('{')) {
          try {
            resolve(JSON.parse(line) as TorchBenchResult);
          } catch (error) {
            reject(new Error(`${SCRIPT} printed bad JSON: ${(error as Error).message}`));
          }
        } else if (line.trim()) {
          log(line);
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      // A no-op when the JSON line already resolved.
      reject(new Error(`${python} ${SCRIPT} exited with code ${code} without a JSON result: ${stderr.trim().slice(-2000)}`));
    });
  });
}
