/**
 * End to end on the webgpu engine: the orchestrator in local mode starts redis-server and a
 * real worker process with TFJS_BACKEND=webgpu, which trains two small trials through the
 * queue on whatever adapter Dawn finds (Mesa's lavapipe in CI), stores every artifact, and
 * exits with nothing left running.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResultRow } from '@denoise-sweep/orchestrator';
import type { TrialResult } from '@denoise-sweep/shared';
import { ArtifactKeys, FileObjectStore } from '@denoise-sweep/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { alive, childrenOf } from './helpers/processes.js';

const orchestrator = fileURLToPath(new URL('../packages/orchestrator/dist/bin.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'webgpu-e2e-'));
const stateDir = join(dir, 'state');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the orchestrator; `seen` collects every process under it while it runs. */
function run(seen: Set<number>, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [orchestrator, ...args], {
      env: { ...process.env, REDIS_URL: '', S3_ENDPOINT: '', TFJS_BACKEND: 'webgpu' },
    });
    const watch = setInterval(() => {
      const queue = [child.pid!];
      while (queue.length > 0) {
        for (const pid of childrenOf(queue.pop()!)) {
          seen.add(pid);
          queue.push(pid);
        }
      }
    }, 250);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      clearInterval(watch);
      resolve({ code, stdout, stderr });
    });
  });
}

describe.runIf(process.env.DENOISE_SWEEP_EXPECT_WEBGPU === '1')('a local sweep on the webgpu engine', () => {
  it('trains through a real worker, stores every artifact and leaves no process behind', async () => {
    const file = join(dir, 'sweep.yaml');
    writeFileSync(file, [
      'name: webgpu tiny',
      'method: grid',
      'metric: {name: val_loss, goal: minimize}',
      'parameters:',
      '  noise_factor: {values: [0.3, 0.6]}',
      '  filters: {value: [4, 8]}',
      '  epochs: {value: 2}',
      '  batch_size: {value: 64}',
      'dataset: {train_limit: 256, test_limit: 32}',
      '',
    ].join('\n'));
    const seen = new Set<number>();
    const sweep = await run(seen, 'sweep', file, '--workers', '1', '--state-dir', stateDir);
    expect(sweep.code, sweep.stderr).toBe(0);
    // redis-server, the worker and its training child, at least.
    expect(seen.size).toBeGreaterThanOrEqual(3);
    expect([...seen].filter(alive)).toEqual([]);

    const json = await run(new Set(), 'results', 'webgpu-tiny', '--format', 'json', '--state-dir', stateDir);
    expect(json.code, json.stderr).toBe(0);
    const rows = JSON.parse(json.stdout) as ResultRow[];
    expect(rows).toHaveLength(2);
    const store = new FileObjectStore(join(stateDir, 'store'));
    const keys = new ArtifactKeys();
    for (const row of rows) {
      expect(row).toMatchObject({ state: 'done', epochs_completed: 2 });
      const result = JSON.parse(Buffer.from((await store.get(keys.result('webgpu-tiny', row.trial)))!).toString()) as TrialResult;
      expect(result.engine).toMatchObject({ name: 'webgpu', backend: 'webgpu' });
      expect(result.engine.device).toBeTruthy();
      expect(Number.isFinite(result.final.psnr)).toBe(true);
      expect(await store.exists(keys.samples('webgpu-tiny', row.trial))).toBe(true);
    }
  });
});
