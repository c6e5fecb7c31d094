/**
 * The prepared GPU check (scripts/gpu-check-prepare.sh, then scripts/gpu-check.sh) on this
 * machine's adapter: in CI, Mesa's lavapipe. It proves the kit's bundle, Dawn's binary and the
 * unpacked libraries train the default net, so that the same kit can be carried to a GPU
 * machine. Node is left out of the kit here (--without-node): the tests already run on one.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gpu-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(process.env.DENOISE_SWEEP_EXPECT_WEBGPU === '1')('the prepared GPU check', () => {
  it('builds its kit, then trains on the webgpu and cpu engines from the kit alone', () => {
    const prepare = spawnSync('bash', ['scripts/gpu-check-prepare.sh', '--without-node'], { cwd: root, encoding: 'utf8' });
    expect(prepare.status, prepare.stderr).toBe(0);
    expect(prepare.stdout).toMatch(/gpu-check-prepare: \d+M in \.gpu-check/);

    const out = join(dir, 'out');
    spawnSync('mkdir', ['-p', out]);
    const check = spawnSync('sh', ['scripts/gpu-check.sh', '--steps', '2', '--cpu-steps', '2'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, OUT: out, DENOISE_SWEEP_GPU_CHECK_DIR: join(dir, 'work'), DENOISE_SWEEP_CPU_THREADS: '1' },
    });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toMatch(/WebGPU adapter: /);
    const result = JSON.parse(readFileSync(join(out, 'gpu-check.json'), 'utf8')) as {
      webgpu: { imagesPerSec: number; losses: number[] };
      cpu: { imagesPerSec: number };
      maxLossRelDiff: number;
    };
    expect(result.webgpu.imagesPerSec).toBeGreaterThan(0);
    expect(result.cpu.imagesPerSec).toBeGreaterThan(0);
    expect(result.webgpu.losses.every(Number.isFinite)).toBe(true);
    expect(result.maxLossRelDiff).toBeLessThan(1e-4);
  });
});
