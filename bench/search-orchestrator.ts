/**
 * The orchestrator program in local mode, for the search benchmark: runs a sweep with its own
 * Redis and file store under a state dir (as test/early-terminate-e2e.test.ts does), relays its
 * stderr lines (progress lines at most every 20 s), and reads back results, status and each
 * trial's metrics.jsonl.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResultRow } from '@denoise-sweep/orchestrator';
import type { EpochRecord } from '@denoise-sweep/shared';
import { ArtifactKeys } from '@denoise-sweep/shared';

const ORCHESTRATOR_BIN = fileURLToPath(new URL('../packages/orchestrator/dist/bin.js', import.meta.url));
/** Local mode: no Redis or store URL (the orchestrator starts its own), the cpu engine. */
const LOCAL_ENV = { REDIS_URL: '', STORE_URL: '', TFJS_BACKEND: 'cpu' };
const PROGRESS_EVERY_MS = 20_000;
const keys = new ArtifactKeys();

interface OrchestratorRun {
  code: number | null;
  stdout: string;
  stderrTail: string;
}

/**
 * Runs `orchestrator ...args`. With `log`, stderr lines are relayed as they come: progress
 * lines ('[###---] 40% ...') at most every 20 s, every other line at once.
 */
function runOrchestrator(args: readonly string[], log?: (line: string) => void): Promise<OrchestratorRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ORCHESTRATOR_BIN, ...args], { env: { ...process.env, ...LOCAL_ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderrTail = '';
    let pending = '';
    let lastProgress = 0;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-4000);
      if (!log) return;
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).trimEnd();
        pending = pending.slice(nl + 1);
        if (!line.trim()) continue;
        if (line.startsWith('[')) {
          if (Date.now() - lastProgress < PROGRESS_EVERY_MS) continue;
          lastProgress = Date.now();
        }
        log(line);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderrTail }));
  });
}

/** Runs a sweep file to the end in local mode; throws when the orchestrator fails. */
export async function runLocalSweep(file: string, stateDir: string, workers: number, log: (line: string) => void): Promise<void> {
  const run = await runOrchestrator(['sweep', file, '--workers', String(workers), '--state-dir', stateDir], log);
  if (run.code !== 0) throw new Error(`orchestrator sweep ${file} exited with code ${run.code}: ${run.stderrTail.trim().split('\n').slice(-15).join('\n')}`);
}

async function jsonOf<T>(args: readonly string[]): Promise<T> {
  const run = await runOrchestrator(args);
  if (run.code !== 0) throw new Error(`orchestrator ${args.join(' ')} exited with code ${run.code}: ${run.stderrTail.trim()}`);
  return JSON.parse(run.stdout) as T;
}

/** `orchestrator results SWEEP --format json`. */
export function sweepResults(sweep: string, stateDir: string): Promise<ResultRow[]> {
  return jsonOf<ResultRow[]>(['results', sweep, '--format', 'json', '--state-dir', stateDir]);
}

export interface SweepStatusJson {
  counts: Record<string, number>;
  trials: { id: string; state: string; pausedAt?: number }[];
}

/** `orchestrator status SWEEP --json`. */
export function sweepStatus(sweep: string, stateDir: string): Promise<SweepStatusJson> {
  return jsonOf<SweepStatusJson>(['status', sweep, '--json', '--state-dir', stateDir]);
}

/** A trial's metrics.jsonl in the local file store: one record per epoch trained, in order. */
export async function trialMetrics(stateDir: string, sweep: string, trial: string): Promise<EpochRecord[]> {
  const text = await readFile(join(stateDir, 'store', keys.metrics(sweep, trial)), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as EpochRecord);
}
