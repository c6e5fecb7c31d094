/**
 * The trained model in the user's hands: `orchestrator export` writes the best trial's model as
 * model.json + weights.bin, which TensorFlow.js alone loads in a plain Node process, and
 * `orchestrator denoise` (the worker's kernels) gives the same pictures as that plain process.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { ResultRow } from '@denoise-sweep/orchestrator';
import type { TrialResult } from '@denoise-sweep/shared';
import { ArtifactKeys, FileObjectStore, unpackCheckpoint } from '@denoise-sweep/shared';
import { saveCheckpointAsFiles } from './helpers/files-checkpoint.js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const orchestrator = join(root, 'packages/orchestrator/dist/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'model-export-'));
const stateDir = join(dir, 'state');
const keys = new ArtifactKeys();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [orchestrator, ...args], { env: { ...process.env, REDIS_URL: '', TFJS_BACKEND: 'cpu' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** The first `n` Fashion-MNIST test images as an IDX file of their own. */
function idxOf(n: number): string {
  const all = gunzipSync(readFileSync('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz'));
  const header = Buffer.alloc(16);
  header.writeUInt32BE(0x803, 0);
  header.writeUInt32BE(n, 4);
  header.writeUInt32BE(28, 8);
  header.writeUInt32BE(28, 12);
  const file = join(dir, `test-${n}-idx3-ubyte`);
  writeFileSync(file, Buffer.concat([header, all.subarray(16, 16 + n * 784)]));
  return file;
}

beforeAll(async () => {
  const sweep = join(dir, 'export.yaml');
  writeFileSync(sweep, [
    'name: export me', 'method: grid', 'metric: {name: val_loss, goal: minimize}', 'parameters:',
    '  filters: {values: [[4], [4, 8]]}', '  epochs: {value: 1}', '  batch_size: {value: 64}',
    'dataset: {train_limit: 256, test_limit: 32}', '',
  ].join('\n'));
  const r = await run('sweep', sweep, '--workers', '1', '--state-dir', stateDir);
  expect(r.code, r.stderr).toBe(0);
});

describe('orchestrator export and denoise', () => {
  it('exports the best trial, whose model plain TensorFlow.js loads and the denoise command reproduces', async () => {
    const out = join(dir, 'model');
    const exported = await run('export', 'export-me', '--out', out, '--json', '--state-dir', stateDir);
    expect(exported.code, exported.stderr).toBe(0);
    const summary = JSON.parse(exported.stdout) as { trial: string; files: string[] };
    const results = JSON.parse((await run('results', 'export-me', '--format', 'json', '--state-dir', stateDir)).stdout) as ResultRow[];
    expect(summary.trial).toBe(results.find((row) => row.best)!.trial);
    expect(summary.files.map((f) => f.slice(out.length + 1))).toEqual(['model.json', 'weights.bin', 'config.json', 'metrics.jsonl', 'result.json']);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toMatchObject({ sweep: 'export-me', id: summary.trial });

    // A plain Node process with nothing but @tensorflow/tfjs: load and predict 3 test images.
    const images = idxOf(3);
    const plain = spawnSync(process.execPath, ['--input-type=module', '-e', `
      import * as tf from '@tensorflow/tfjs';
      import { readFileSync } from 'node:fs';
      import { gunzipSync } from 'node:zlib';
      const json = JSON.parse(readFileSync(${JSON.stringify(join(out, 'model.json'))}, 'utf8'));
      const bin = readFileSync(${JSON.stringify(join(out, 'weights.bin'))});
      const model = await tf.loadLayersModel(tf.io.fromMemory({
        modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights,
        weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }));
      const raw = readFileSync(${JSON.stringify(images)});
      const x = tf.tensor4d(Float32Array.from(raw.subarray(16), (v) => v / 255), [3, 28, 28, 1]);
      console.log(JSON.stringify(Array.from(await model.predict(x).data())));
    `], { cwd: root, encoding: 'utf8' });
    expect(plain.status, plain.stderr).toBe(0);
    const predicted = JSON.parse(plain.stdout.trim().split('\n').pop()!) as number[];
    expect(predicted).toHaveLength(3 * 784);

    const denoisedDir = join(dir, 'denoised');
    const denoised = await run('denoise', '--model', out, '--out', denoisedDir, images);
    expect(denoised.code, denoised.stderr).toBe(0);
    for (let n = 0; n < 3; n++) {
      const png = PNG.sync.read(readFileSync(join(denoisedDir, `test-3-idx3-ubyte-${n}.png`)));
      expect([png.width, png.height]).toEqual([28, 28]);
      for (let i = 0; i < 784; i++) {
        // The same model on the same input; the PNG keeps 8 bits of it.
        expect(Math.abs(png.data[4 * i]! - predicted[n * 784 + i]! * 255)).toBeLessThanOrEqual(0.5 + 1e-3);
      }
    }
  });

  it('exports from a checkpoint an earlier version wrote as a directory of files, and refuses a damaged one', async () => {
    const packedOut = join(dir, 'model-packed');
    const first = await run('export', 'export-me', '--out', packedOut, '--json', '--state-dir', stateDir);
    expect(first.code, first.stderr).toBe(0);
    const { trial } = JSON.parse(first.stdout) as { trial: string };
    const store = new FileObjectStore(join(stateDir, 'store'));
    const resultKey = keys.result('export-me', trial);
    const result = JSON.parse(Buffer.from((await store.get(resultKey))!).toString()) as TrialResult;
    expect(result.checkpoint_key.endsWith('.ckpt')).toBe(true);
    const packed = (await store.get(result.checkpoint_key))!;
    const name = result.checkpoint_key.split('/').at(-1)!.replace(/\.ckpt$/, '');
    try {
      // The files layout, with result.json naming its directory.
      const legacyKey = result.checkpoint_key.replace(/\.ckpt$/, '');
      await saveCheckpointAsFiles(store, legacyKey.slice(0, legacyKey.lastIndexOf('/')), name, unpackCheckpoint(packed, name));
      await store.put(resultKey, JSON.stringify({ ...result, checkpoint_key: legacyKey }));
      const legacyOut = join(dir, 'model-files');
      const legacy = await run('export', 'export-me', '--trial', trial, '--out', legacyOut, '--state-dir', stateDir);
      expect(legacy.code, legacy.stderr).toBe(0);
      for (const file of ['model.json', 'weights.bin']) expect(readFileSync(join(legacyOut, file)).equals(readFileSync(join(packedOut, file)))).toBe(true);

      // A byte of the packed checkpoint flipped: no export.
      const damaged = Buffer.from(packed);
      damaged[damaged.length - 1]! ^= 1;
      await store.put(result.checkpoint_key, damaged);
      await store.put(resultKey, JSON.stringify(result));
      const refused = await run('export', 'export-me', '--trial', trial, '--out', join(dir, 'model-damaged'), '--state-dir', stateDir);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/trainer-state.json does not match its header \(its sha256 differs\): the checkpoint is damaged/);
    } finally {
      await store.put(result.checkpoint_key, packed);
      await store.put(resultKey, JSON.stringify(result, null, 2));
    }
  });

  it('says what is wrong, with exit 2, for images of another size, a directory without a model and a trial the sweep does not have', async () => {
    const big = new PNG({ width: 32, height: 32 });
    writeFileSync(join(dir, 'big.png'), PNG.sync.write(big));
    const wrongSize = await run('denoise', '--model', join(dir, 'model'), '--out', join(dir, 'x'), join(dir, 'big.png'));
    expect(wrongSize.code).toBe(2);
    expect(wrongSize.stderr).toContain('big.png is 32x32: the model denoises 28x28 images');
    const noModel = await run('denoise', '--model', dir, '--out', join(dir, 'x'), idxOf(1));
    expect(noModel.code).toBe(2);
    expect(noModel.stderr).toContain(`${dir} is not a model directory`);
    const noTrial = await run('export', 'export-me', '--trial', '0123456789ab', '--out', join(dir, 'y'), '--state-dir', stateDir);
    expect(noTrial.code).toBe(2);
    expect(noTrial.stderr).toContain("sweep export-me has no trial '0123456789ab'");
  });
});
