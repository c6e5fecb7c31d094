/**
 * `orchestrator report`: a sweep's artifacts written to a real s3rver (3 finished trials, 1
 * never started), the built binary writes the page, and headless Chromium renders it with
 * every request that is not file: or data: blocked. Chromium is Debian's (scripts/setup.sh
 * installs it), driven by playwright-core.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EpochRecord, Trial, TrialResult } from '@denoise-sweep/shared';
import { ArtifactKeys, expandSweep, parseSweepText, sweepId } from '@denoise-sweep/shared';
import type { S3ObjectStore } from '@denoise-sweep/shared/s3';
import { sweepRecord } from '@denoise-sweep/orchestrator';
import { S3RVER_CREDENTIALS } from './helpers/s3-server.js';
import { chromium } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useLocalServices } from './helpers/services.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];
const orchestratorBin = resolve(import.meta.dirname, '../packages/orchestrator/dist/bin.js');
const PREFIX = 'reports';
const keys = new ArtifactKeys();
const SIDE = 28;
const SCALE = 3;
const GAP = 4;
const COUNT = 6;

// The description carries markup: the page must show it as text, never run it.
const SWEEP_YAML = `
name: report-test
description: 'Noise <script>alert("x")</script> & width'
method: grid
metric: { name: val_loss, goal: minimize }
parameters:
  noise_factor: { values: [0.2, 0.5] }
  filters: { values: [[8, 16], [16, 32]] }
  epochs: { value: 4 }
dataset: { train_limit: 200, test_limit: 100 }
`;

const services = useLocalServices();
let store: S3ObjectStore;
let work: string;
let trials: Trial[];
let finished: Trial[];
let sweep: string;

/** A picture like the worker's: COUNT images in three rows (noisy, denoised, clean). */
function samplesPng(noise: number, seed: number): Buffer {
  const width = COUNT * SIDE * SCALE + (COUNT + 1) * GAP;
  const height = 3 * SIDE * SCALE + 4 * GAP;
  const png = new PNG({ width, height });
  png.data.fill(255);
  let state = seed + 1;
  const random = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < COUNT; i++) {
    const clean = (x: number, y: number) => {
      const dx = (x - 14) / (6 + i);
      const dy = (y - 14) / 11;
      return dx * dx + dy * dy < 1 ? 0.85 - 0.05 * i : 0;
    };
    const rows = [
      (x: number, y: number) => Math.min(1, Math.max(0, clean(x, y) + noise * (random() * 2 - 1))),
      (x: number, y: number) => 0.9 * clean(x, y) + 0.05,
      clean,
    ];
    rows.forEach((pixel, r) => {
      for (let y = 0; y < SIDE; y++) {
        for (let x = 0; x < SIDE; x++) {
          const grey = Math.round(255 * pixel(x, y));
          for (let sy = 0; sy < SCALE; sy++) {
            for (let sx = 0; sx < SCALE; sx++) {
              const at = ((GAP + r * (SIDE * SCALE + GAP) + y * SCALE + sy) * width + GAP + i * (SIDE * SCALE + GAP) + x * SCALE + sx) * 4;
              png.data[at] = png.data[at + 1] = png.data[at + 2] = grey;
            }
          }
        }
      }
    });
  }
  return PNG.sync.write(png);
}

function epochRecords(trial: Trial): EpochRecord[] {
  const { noise_factor: noise, filters, epochs } = trial.params;
  const width = filters[0] ?? 8;
  return Array.from({ length: epochs }, (_, i) => {
    const valLoss = (0.004 + 0.05 * noise * noise) * (1 + 1.5 / (i + 1)) * (16 / (width + 8));
    return {
      epoch: i + 1, train_loss: valLoss * 1.05, val_loss: valLoss, psnr: 10 * Math.log10(1 / valLoss), ssim: 0.9 - noise * 0.6 + i * 0.01,
      noisy_psnr: 10 * Math.log10(1 / (noise * noise * 0.6)), train_seconds: 3, eval_seconds: 0.5, images_per_sec: 66,
    };
  });
}

async function writeFinishedTrial(trial: Trial, index: number): Promise<void> {
  const history = epochRecords(trial);
  const last = history.at(-1)!;
  await store.put(keys.metrics(sweep, trial.id), history.map((r) => JSON.stringify(r)).join('\n') + '\n');
  await store.put(keys.samples(sweep, trial.id), samplesPng(trial.params.noise_factor, index));
  const result: TrialResult = {
    format: 1, sweep, trial: trial.id, params: trial.params, dataset: trial.dataset, status: 'completed',
    final: { train_loss: last.train_loss, val_loss: last.val_loss, psnr: last.psnr, ssim: last.ssim, noisy_psnr: last.noisy_psnr },
    epochs_completed: history.length, param_count: 12345,
    engine: { name: 'cpu', backend: 'cpu', kernels: 'test' },
    timings: { train_seconds: 12, eval_seconds: 2, wall_seconds: 15, images_per_sec: 66 },
    resumed_from: null,
    checkpoint_key: `${keys.checkpoints(sweep, trial.id)}/epoch-0004`,
    samples_key: keys.samples(sweep, trial.id),
    finished_at: new Date().toISOString(),
  };
  await store.put(keys.result(sweep, trial.id), JSON.stringify(result, null, 2));
}

function runOrchestrator(args: string[]) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: services.redis.url,
    S3_ENDPOINT: services.s3.endpoint,
    STORE_URL: `s3://${store.bucket}/${PREFIX}`,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
  };
  return spawnSync(process.execPath, [orchestratorBin, ...args], { env, encoding: 'utf8', cwd: work });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'denoise-report-'));
  store = await services.newStore({ keyPrefix: PREFIX });
  const spec = parseSweepText(SWEEP_YAML, 'report-test.yaml');
  sweep = sweepId(spec);
  trials = expandSweep(spec);
  await store.put(keys.sweepJson(sweep), JSON.stringify(sweepRecord(spec, trials, { name: 'fashion-mnist', sha256: '0'.repeat(64) })));
  // The last trial never ran: it has no artifacts at all.
  finished = trials.slice(0, -1);
  for (const [i, trial] of finished.entries()) await writeFinishedTrial(trial, i);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('orchestrator report', () => {
  it('explains itself in --help, with an example', () => {
    const help = runOrchestrator(['report', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--out <file>');
    expect(help.stdout).toMatch(/\$ orchestrator report example/);
  });

  it('fails with exit 1 and says how to start a sweep that does not exist', () => {
    const run = runOrchestrator(['report', 'no-such-sweep']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("no sweep 'no-such-sweep'");
  });

  it('writes one offline page that Chromium renders with its table, charts and pictures', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install it with 'apt-get install -y --no-install-recommends chromium' (scripts/setup.sh does)`);
    }
    const out = join(work, 'out', 'report.html');
    const run = runOrchestrator(['report', sweep, '--out', out]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`${out}\n`);
    const html = readFileSync(out, 'utf8');
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:|\/\/)/i);
    expect(html).not.toContain('<script');

    const profile = mkdtempSync(join(tmpdir(), 'denoise-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, viewport: { width: 1280, height: 900 },
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
      await context.route('**/*', async (route) => {
        const url = route.request().url();
        if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
        problems.push(`blocked request: ${url}`);
        return route.abort();
      });
      await page.goto(pathToFileURL(out).href, { waitUntil: 'load' });

      const best = finished.reduce((a, b) => (epochRecords(a).at(-1)!.val_loss <= epochRecords(b).at(-1)!.val_loss ? a : b));
      const rows = page.locator('#results-table tbody tr');
      await expect.poll(() => rows.count()).toBe(trials.length);
      expect(await page.locator('#results-table tr.best').getAttribute('data-trial')).toBe(best.id);
      expect(await page.locator('#results-table tr.best .star').count()).toBe(1);
      expect(await page.locator(`#results-table tr[data-trial="${trials.at(-1)!.id}"]`).textContent()).toContain('missing');

      // Vega draws one line per trial with a curve, and one point per finished trial on PSNR.
      expect(await page.locator('#chart-val-loss svg .mark-line.role-mark path').count()).toBe(finished.length);
      expect(await page.locator('#chart-val-loss svg .mark-symbol.role-mark path').count()).toBe(finished.length * 4);
      expect(await page.locator('#chart-psnr-noise svg .mark-symbol.role-mark path').count()).toBe(finished.length);
      expect(await page.locator('#chart-psnr-noise svg .mark-line.role-mark path').count()).toBeGreaterThan(0);

      const images = await page.locator('.samples img').evaluateAll((imgs) => (imgs as unknown as { complete: boolean; naturalWidth: number }[]).map((i) => ({ complete: i.complete, width: i.naturalWidth })));
      expect(images).toHaveLength(finished.length);
      for (const image of images) expect(image).toEqual({ complete: true, width: COUNT * SIDE * SCALE + (COUNT + 1) * GAP });

      expect(await page.locator('header').textContent()).toContain('Noise <script>alert("x")</script> & width');
      expect(await page.locator('script').count()).toBe(0);

      const screenshot = join(tmpdir(), 'denoise-sweep-report.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      console.log(`report screenshot: ${screenshot}`);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
