/**
 * Local mode supervises what it starts (real orchestrator, redis-server and worker processes):
 * a worker killed mid-sweep is reported and restarted, a killed redis-server is restarted on
 * its port from its append-only file, and killing the orchestrator itself with SIGKILL leaves
 * no worker, training child or Redis behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ResultRow } from '@denoise-sweep/orchestrator';
import { afterAll, describe, expect, it } from 'vitest';
import { alive, childrenOf } from './helpers/processes.js';
import { until } from './helpers/sweep-harness.js';

const orchestrator = resolve(import.meta.dirname, '../packages/orchestrator/dist/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'local-supervision-'));
const started: ChildProcess[] = [];
afterAll(() => {
  for (const child of started) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

// Paced batches: the sweep lasts long enough for the faults to land mid-training.
// Short locks and grace: a killed worker's trial is taken over, and a worker that lost its
// orchestrator and its Redis gives up, within seconds.
const ENV = {
  ...process.env, REDIS_URL: '', TFJS_BACKEND: 'cpu', DENOISE_SWEEP_INJECT_FAULTS: 'batch-delay:20',
  DENOISE_SWEEP_LOCK_MS: '5000', DENOISE_SWEEP_STALLED_MS: '2000', DENOISE_SWEEP_SHUTDOWN_GRACE_MS: '5000',
};

function sweepFile(name: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, [
    `name: ${name}`, 'method: grid', 'parameters:', '  noise_factor: {values: [0.3, 0.6]}', '  filters: {values: [[4], [4, 8]]}',
    '  epochs: {value: 2}', '  batch_size: {value: 64}', 'dataset: {train_limit: 1024, test_limit: 32}', '',
  ].join('\n'));
  return file;
}

interface Running {
  child: ChildProcess;
  stderr: () => string;
  exit: Promise<number | null>;
  services: () => { redisPid: number; workerPids: number[] } | undefined;
}

function startSweep(name: string): Running {
  const stateDir = join(dir, name);
  const child = spawn(process.execPath, [orchestrator, 'sweep', sweepFile(name), '--workers', '2', '--state-dir', stateDir], { env: ENV });
  started.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.resume();
  const exit = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const services = () => {
    const file = join(stateDir, 'services.json');
    return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as { redisPid: number; workerPids: number[] } : undefined;
  };
  return { child, stderr: () => stderr, exit, services };
}


/** Waits until a trial trains, so that a fault lands mid-sweep. */
const training = (r: Running) => until('a trial to train', async () => (/\brunning [1-9]/.test(r.stderr()) ? true : undefined), 60_000);

async function results(name: string): Promise<ResultRow[]> {
  const out = spawnSync(process.execPath, [orchestrator, 'results', name, '--format', 'json', '--state-dir', join(dir, name)], { env: ENV, encoding: 'utf8' });
  return JSON.parse(out.stdout) as ResultRow[];
}

describe('local mode supervises what it starts', () => {
  it('reports a worker killed with SIGKILL, restarts it, and finishes every trial', async () => {
    const r = startSweep('worker-killed');
    await until('two workers', async () => (r.services()?.workerPids.length === 2 ? true : undefined), 60_000);
    await training(r);
    process.kill(r.services()!.workerPids[0]!, 'SIGKILL');
    expect(await r.exit, r.stderr()).toBe(0);
    expect(r.stderr()).toContain('local mode: worker 1 exited (SIGKILL); restarted');
    expect((await results('worker-killed')).every((row) => row.state === 'done')).toBe(true);
  });

  it('restarts a redis-server killed with SIGKILL on its port, says so, and the sweep goes on', async () => {
    const r = startSweep('redis-killed');
    await until('the services', async () => (r.services()?.workerPids.length === 2 ? true : undefined), 60_000);
    await training(r);
    process.kill(r.services()!.redisPid, 'SIGKILL');
    expect(await r.exit, r.stderr()).toBe(0);
    expect(r.stderr()).toMatch(/local mode: redis-server exited \(SIGKILL\); restarting it on port \d+/);
    expect(r.stderr()).toMatch(/local mode: redis-server restarted on port \d+ from its append-only file/);
    expect((await results('redis-killed')).every((row) => row.state === 'done')).toBe(true);
  });

  it('says when Redis does not answer, and when it answers again, instead of freezing', async () => {
    const r = startSweep('redis-stopped');
    await until('the services', async () => (r.services()?.workerPids.length === 2 ? true : undefined), 60_000);
    await training(r);
    const { redisPid } = r.services()!;
    process.kill(redisPid, 'SIGSTOP');
    try {
      await until('the view to say so', async () => (r.stderr().includes('Redis does not answer: waiting for it') ? true : undefined), 30_000);
    } finally {
      process.kill(redisPid, 'SIGCONT');
    }
    expect(await r.exit, r.stderr()).toBe(0);
    expect(r.stderr()).toMatch(/Redis answers again, after \d+ s/);
  });

  it('gives up with a message naming the log, and exit 1, when a worker keeps crashing', async () => {
    const crashing = join(dir, 'crashing-worker.mjs');
    writeFileSync(crashing, 'process.exit(3);\n');
    const stateDir = join(dir, 'crashing');
    const child = spawn(process.execPath, [orchestrator, 'sweep', sweepFile('crashing'), '--workers', '1', '--state-dir', stateDir], {
      env: { ...ENV, DENOISE_SWEEP_WORKER_BIN: crashing },
    });
    started.push(child);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((done) => child.once('exit', (c) => done(c)));
    expect(code, stderr).toBe(1);
    expect(stderr).toContain('local mode: worker 1 exited (code 3); restarted');
    expect(stderr).toContain(`worker 1 exited 5 times within 60 s (last: code 3); giving up: see ${join(stateDir, 'logs', 'worker-1.log')}`);
    expect(existsSync(join(stateDir, 'services.json'))).toBe(false);
  });

  it('leaves no worker, training child or Redis behind when the orchestrator is killed with SIGKILL', async () => {
    const r = startSweep('orchestrator-killed');
    await until('two workers', async () => (r.services()?.workerPids.length === 2 ? true : undefined), 60_000);
    await training(r);
    const { redisPid, workerPids } = r.services()!;
    const trainingChildren = workerPids.flatMap(childrenOf);
    expect(trainingChildren.length).toBeGreaterThan(0);
    r.child.kill('SIGKILL');
    const all = [redisPid, ...workerPids, ...trainingChildren];
    await until('every process it started to exit', async () => (all.every((pid) => !alive(pid)) ? true : undefined), 60_000);
  });
});
