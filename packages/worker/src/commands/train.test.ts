import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TrialResult } from '@denoise-sweep/shared';
import { afterAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'worker-train-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const worker = (...args: string[]) => spawnSync('node', [bin, ...args], { encoding: 'utf8', env: { ...process.env, TFJS_BACKEND: 'cpu' } });
const small = ['--filters', '4,8', '--epochs', '1', '--batch-size', '64', '--train-limit', '256', '--test-limit', '32', '--out', out];

describe('worker train (the built binary)', () => {
  it('is built', () => {
    expect(existsSync(bin), 'run `npx tsc -b` first').toBe(true);
  });

  it('trains one trial, prints result.json with --json, and reports it again without training', () => {
    const first = worker('train', ...small, '--json');
    expect(first.status, first.stderr).toBe(0);
    const result = JSON.parse(first.stdout) as TrialResult;
    expect(result).toMatchObject({ status: 'completed', epochs_completed: 1, params: { filters: [4, 8] } });
    expect(first.stderr).toMatch(/epoch 1\/1 .*val_loss/);
    const again = worker('train', ...small);
    expect(again.status).toBe(0);
    expect(again.stderr).toMatch(/already done/);
    expect(again.stdout).toMatch(new RegExp(`trial ${result.trial} completed: 1 epochs`));
  });

  it('refuses out-of-range values with exit code 2 and the bound', () => {
    const r = worker('train', ...small, '--epochs', '-3');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/epochs.*1.*1000.*-3/s);
    const f = worker('train', ...small, '--filters', '8,abc');
    expect(f.status).toBe(2);
    expect(f.stderr).toMatch(/--filters must be/);
  });

  it('exits 1 with install advice when the dataset is missing', () => {
    const r = spawnSync('node', [bin, 'train', ...small, '--seed', '99'], {
      encoding: 'utf8',
      env: { ...process.env, TFJS_BACKEND: 'cpu', FASHION_MNIST_DIR: join(out, 'no-such-dir') },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/apt-get install dataset-fashion-mnist/);
  });

  it('explains itself with --help and rejects unknown flags with code 2', () => {
    const help = worker('train', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/--noise-factor/);
    expect(worker('train', '--nosie-factor', '1').status).toBe(2);
    expect(worker('train', '--engine', 'quantum').status).toBe(2);
  });
});
