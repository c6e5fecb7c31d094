/**
 * End to end, with real processes: the orchestrator in local mode starts its own redis-server
 * and two worker processes, runs a sweep of small real trials on Fashion-MNIST, and stops
 * everything. The artifacts are then read back as the plain files of <state-dir>/store.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResultRow } from '@denoise-sweep/orchestrator';
import { ArtifactKeys, FileObjectStore } from '@denoise-sweep/shared';
import { S3RVER_CREDENTIALS } from './helpers/s3-server.js';
import { useLocalServices } from './helpers/services.js';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';

const orchestrator = fileURLToPath(new URL('../packages/orchestrator/dist/bin.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sweep-e2e-'));
const stateDir = join(dir, 'state');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sweepFile(noise: number[]): string {
  const file = join(dir, `sweep-${noise.length}.yaml`);
  writeFileSync(file, [
    'name: e2e tiny',
    'method: grid',
    'metric: {name: val_loss, goal: minimize}',
    'parameters:',
    `  noise_factor: {values: [${noise.join(', ')}]}`,
    '  filters: {values: [[4], [4, 8]]}',
    '  epochs: {value: 2}',
    '  batch_size: {value: 64}',
    'dataset: {train_limit: 256, test_limit: 32}',
    '',
  ].join('\n'));
  return file;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(...args: string[]): Promise<Run> {
  return runWith({}, ...args);
}

function runWith(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [orchestrator, ...args], {
      env: { ...process.env, REDIS_URL: '', S3_ENDPOINT: '', TFJS_BACKEND: 'cpu', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Local mode's default store: <state-dir>/store, plain files. */
async function withStore<T>(f: (store: FileObjectStore) => Promise<T>): Promise<T> {
  return f(new FileObjectStore(join(stateDir, 'store')));
}

describe('a local sweep, end to end', () => {
  let firstIds: string[] = [];

  it('trains 4 trials on 2 workers and stores every artifact', async () => {
    const first = await run('sweep', sweepFile([0.3, 0.6]), '--workers', '2', '--state-dir', stateDir);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/4 trials: 0 already done, 4 enqueued/);
    expect(first.stdout).toMatch(/Sweep e2e-tiny: 4 trials, sorted by val_loss/);

    const json = await run('results', 'e2e-tiny', '--format', 'json', '--state-dir', stateDir);
    expect(json.code, json.stderr).toBe(0);
    const rows = JSON.parse(json.stdout) as ResultRow[];
    expect(rows).toHaveLength(4);
    expect(rows.every((r) => r.state === 'done' && r.epochs_completed === 2)).toBe(true);
    const losses = rows.map((r) => r.val_loss!);
    expect(losses).toEqual([...losses].sort((a, b) => a - b));
    expect(rows[0]!.best).toBe(true);
    firstIds = rows.map((r) => r.trial);

    const keys = new ArtifactKeys();
    await withStore(async (store) => {
      for (const row of rows) {
        const trialKeys = await store.list(keys.trialDir('e2e-tiny', row.trial));
        const metrics = Buffer.from((await store.get(keys.metrics('e2e-tiny', row.trial)))!).toString().trim().split('\n');
        expect(metrics).toHaveLength(2);
        // keep_checkpoints defaults to best: the last epoch's checkpoint and the best by val_loss.
        const epochs = metrics.map((line) => JSON.parse(line) as { epoch: number; val_loss: number });
        const best = epochs.reduce((b, m) => (m.val_loss < b.val_loss ? m : b)).epoch;
        const kept = [...new Set([`epoch-000${best}`, 'epoch-0002'])].sort();
        const checkpointDir = `${keys.checkpoints('e2e-tiny', row.trial)}/`;
        // One object per checkpoint.
        expect(trialKeys.filter((k) => k.startsWith(checkpointDir))).toEqual(kept.map((epoch) => `${checkpointDir}${epoch}.ckpt`));
        expect(await store.exists(keys.result('e2e-tiny', row.trial))).toBe(true);
        const png = PNG.sync.read(Buffer.from((await store.get(keys.samples('e2e-tiny', row.trial)))!));
        expect([png.width, png.height]).toEqual([10 * 84 + 11 * 4, 3 * 84 + 4 * 4]);
        // The results print paths that open: the picture is a PNG file there.
        expect(row.samples_uri).toBe(join(stateDir, 'store', keys.samples('e2e-tiny', row.trial)));
        expect(PNG.sync.read(readFileSync(row.samples_uri!)).width).toBe(png.width);
        expect(row.checkpoint_uri).toBe(join(stateDir, 'store', keys.checkpoints('e2e-tiny', row.trial), 'epoch-0002.ckpt'));
        expect(existsSync(row.checkpoint_uri!)).toBe(true);
      }
    });
  });

  it('enqueues nothing when run again', async () => {
    const again = await run('sweep', sweepFile([0.3, 0.6]), '--workers', '2', '--state-dir', stateDir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/4 trials: 4 already done, 0 enqueued, 0 retried, 0 already queued/);
  });

  it('trains only the new trials when a grid value is added', async () => {
    const keys = new ArtifactKeys();
    const finishedAt = () => withStore(async (store) => Promise.all(firstIds.map(async (id) =>
      (JSON.parse(Buffer.from((await store.get(keys.result('e2e-tiny', id)))!).toString()) as { finished_at: string }).finished_at)));
    const before = await finishedAt();
    const grown = await run('sweep', sweepFile([0.3, 0.6, 0.9]), '--workers', '2', '--state-dir', stateDir);
    expect(grown.code, grown.stderr).toBe(0);
    expect(grown.stderr).toMatch(/6 trials: 4 already done, 2 enqueued/);
    const status = await run('status', 'e2e-tiny', '--json', '--state-dir', stateDir);
    expect(status.code, status.stderr).toBe(0);
    const parsed = JSON.parse(status.stdout) as { counts: Record<string, number>; trials: { id: string }[] };
    expect(parsed.counts.done).toBe(6);
    expect(parsed.trials.map((t) => t.id)).toEqual(expect.arrayContaining(firstIds));
    expect(await finishedAt()).toEqual(before);
  });
});

describe('a local sweep whose trial fails', () => {
  it('prints the results, says what did not finish and exits 1', async () => {
    const file = join(dir, 'e2e-fails.yaml');
    writeFileSync(file, readFileSync(sweepFile([0.3]), 'utf8').replace('name: e2e tiny', 'name: e2e fails')
      .replace('filters: {values: [[4], [4, 8]]}', 'filters: {value: [4]}').replace('epochs: {value: 2}', 'epochs: {value: 1}'));
    const dry = await run('sweep', file, '--dry-run', '--json');
    const { id } = JSON.parse(dry.stdout) as { id: string };
    const failed = await runWith({ DENOISE_SWEEP_INJECT_FAULTS: `nan-loss:${id}` }, 'sweep', file, '--workers', '1', '--state-dir', join(dir, 'state-fails'));
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stdout).toMatch(/Sweep e2e-fails: 1 trials?/);
    expect(failed.stderr).toContain('1 trial did not finish; run the same command to retry it.');
  });
});

describe('local mode with the store in S3', () => {
  const services = useLocalServices({ redis: false });

  it('trains with its own Redis and writes to the bucket --store names, which later commands remember', async () => {
    const store = await services.newStore();
    const s3StateDir = join(dir, 'state-s3');
    const env = {
      S3_ENDPOINT: services.s3.endpoint,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    };
    const file = join(dir, 'e2e-s3.yaml');
    writeFileSync(file, readFileSync(sweepFile([0.3]), 'utf8').replace('name: e2e tiny', 'name: e2e s3')
      .replace('filters: {values: [[4], [4, 8]]}', 'filters: {value: [4]}').replace('epochs: {value: 2}', 'epochs: {value: 1}'));
    const swept = await runWith(env, 'sweep', file, '--workers', '1', '--state-dir', s3StateDir, '--store', `s3://${store.bucket}/team`);
    expect(swept.code, swept.stderr).toBe(0);
    expect(swept.stderr).toContain(`artifacts in s3://${store.bucket}/team`);
    // No --store: the state directory remembers the store of its sweeps.
    const json = await runWith(env, 'results', 'e2e-s3', '--format', 'json', '--state-dir', s3StateDir);
    expect(json.code, json.stderr).toBe(0);
    const [row] = JSON.parse(json.stdout) as ResultRow[];
    expect(row!.samples_uri).toBe(`s3://${store.bucket}/team/${new ArtifactKeys().samples('e2e-s3', row!.trial)}`);
    expect(await store.exists(`team/${new ArtifactKeys().result('e2e-s3', row!.trial)}`)).toBe(true);
    expect(existsSync(join(s3StateDir, 'store'))).toBe(false);
  });
});
