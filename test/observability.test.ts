/**
 * The dashboards and rules against the real thing: a real Prometheus (Debian's) scrapes the real
 * /metrics of two worker processes and of `orchestrator serve` while a small real sweep trains on
 * a test Redis and S3-protocol store; then every panel query of both dashboards, the sweep
 * variable's query and every recording rule must answer with data.
 *
 * How it runs: useLocalServices() starts redis-server and s3rver (bucket `default`); the test
 * picks three free loopback ports and starts
 *   node packages/worker/dist/bin.js run --concurrency 1 --metrics-port P1|P2 --metrics-host 127.0.0.1
 *   node packages/orchestrator/dist/bin.js serve --port P3 --host 127.0.0.1
 * with REDIS_URL, S3_ENDPOINT, STORE_URL=s3://default and s3rver's credentials in the environment,
 * points Prometheus (file_sd, 1 s scrapes) at 127.0.0.1:P1, :P2 (job denoise-sweep-worker) and :P3
 * (job denoise-sweep-exporter), runs `orchestrator sweep FILE --detach`, and waits until
 * Prometheus sees every trial done through the exporter's denoise_sweep_sweep_trials.
 *
 * Skipped, with the reason in its title, only while those commands do not exist yet.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFreePort } from '@denoise-sweep/orchestrator/local';
import { S3RVER_CREDENTIALS } from './helpers/s3-server.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARDS } from '../infra/grafana/dashboards/index.js';
import { dashboardQueries } from '../infra/grafana/dashboards/panels.js';
import { expandGrafanaVariables, hasFiniteValue, prometheusAvailable, usePrometheus, type PromQueryResult } from './helpers/prometheus.js';
import { useLocalServices } from './helpers/services.js';

const workerBin = fileURLToPath(new URL('../packages/worker/dist/bin.js', import.meta.url));
const orchestratorBin = fileURLToPath(new URL('../packages/orchestrator/dist/bin.js', import.meta.url));
const SWEEP = 'observability-tiny';
const TRIALS = 4;
const BUCKET = 'default';

function helpOf(bin: string, args: string[]): string {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`;
}

/** What this test needs that may not exist yet, so it can say why it skips. */
function missingPrerequisites(): string[] {
  const missing: string[] = [];
  if (!prometheusAvailable()) missing.push('the prometheus binary (apt-get install prometheus)');
  if (!helpOf(workerBin, ['run', '--help']).includes('--metrics-port')) missing.push('`worker run --metrics-port`');
  if (!/^\s+serve\b/m.test(helpOf(orchestratorBin, ['--help']))) missing.push('`orchestrator serve` (the exporter)');
  return missing;
}

const missing = missingPrerequisites();
const title = 'every dashboard query and recording rule answers with data from a real sweep';

describe.skipIf(missing.length > 0)(missing.length > 0 ? `${title} (skipped until these exist: ${missing.join(', ')})` : title, () => {
  const services = useLocalServices();
  const prometheus = usePrometheus();
  let dir = '';
  const children: ChildProcess[] = [];
  const logs = new Map<string, string>();
  let startS = 0;

  const env = (): NodeJS.ProcessEnv => ({
    ...process.env,
    REDIS_URL: services.redis.url,
    S3_ENDPOINT: services.s3.endpoint,
    STORE_URL: `s3://${BUCKET}`,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    DENOISE_SWEEP_CACHE_DIR: join(dir, 'cache'),
    TFJS_BACKEND: 'cpu',
  });

  const start = (name: string, bin: string, args: string[]) => {
    const child = spawn(process.execPath, [bin, ...args], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    logs.set(name, '');
    const keep = (d: Buffer) => logs.set(name, ((logs.get(name) ?? '') + d.toString()).slice(-4000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    children.push(child);
    return child;
  };

  const run = (args: string[]) => new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, [orchestratorBin, ...args], { env: env() });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });

  const logTail = () => [...logs].map(([name, text]) => `--- ${name}\n${text}`).join('\n');

  /** Polls an instant query until `done` holds; fails with the processes' logs on timeout. */
  const waitFor = async (what: string, expr: string, done: (r: PromQueryResult) => boolean, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    let last: PromQueryResult | undefined;
    while (Date.now() < deadline) {
      last = await prometheus.server.query(expr);
      if (done(last)) return;
      for (const child of children) {
        if (child.exitCode !== null) throw new Error(`a process exited (code ${child.exitCode}) while waiting for ${what}:\n${logTail()}`);
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
    throw new Error(`timed out waiting for ${what} (last answer ${JSON.stringify(last?.result)}):\n${logTail()}`);
  };

  const value = (r: PromQueryResult) => Number(r.result[0]?.value?.[1] ?? Number.NaN);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'observability-'));
    const [w1, w2, exporter] = [await findFreePort(), await findFreePort(), await findFreePort()];
    start('worker-1', workerBin, ['run', '--concurrency', '1', '--metrics-port', String(w1), '--metrics-host', '127.0.0.1']);
    start('worker-2', workerBin, ['run', '--concurrency', '1', '--metrics-port', String(w2), '--metrics-host', '127.0.0.1']);
    start('exporter', orchestratorBin, ['serve', '--port', String(exporter), '--host', '127.0.0.1']);
    prometheus.server.setTargets({ worker: [`127.0.0.1:${w1}`, `127.0.0.1:${w2}`], exporter: [`127.0.0.1:${exporter}`] });
    await waitFor('all three /metrics endpoints up', 'sum(up{job=~"denoise-sweep-.*"})', (r) => value(r) === 3, 60_000);

    startS = Date.now() / 1000 - 5;
    const file = join(dir, 'sweep.yaml');
    writeFileSync(file, [
      'name: observability tiny',
      'method: grid',
      'metric: {name: val_loss, goal: minimize}',
      'parameters:',
      '  noise_factor: {values: [0.3, 0.6]}',
      '  filters: {values: [[4], [4, 8]]}',
      '  epochs: {value: 2}',
      '  batch_size: {value: 64}',
      'dataset: {train_limit: 256, test_limit: 32}',
      '',
    ].join('\n'));
    const enqueued = await run(['sweep', file, '--detach']);
    expect(enqueued.code, enqueued.output).toBe(0);

    await waitFor(`${TRIALS} trials done, as the exporter reports them`, `sum(denoise_sweep_sweep_trials{sweep="${SWEEP}", state="done"})`,
      (r) => value(r) === TRIALS, 600_000);
    // Every trial's result gauges scraped, and a few more scrapes of the idle workers for rates.
    await waitFor('the result gauges of every trial', `count(denoise_sweep_trial_val_loss{sweep="${SWEEP}"})`, (r) => value(r) === TRIALS, 60_000);
    await new Promise((r) => setTimeout(r, 5_000));
  }, 900_000);

  afterAll(async () => {
    await Promise.all(children.map((child) => new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      const force = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.once('exit', () => {
        clearTimeout(force);
        done();
      });
      child.kill('SIGTERM');
    })));
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('the sweep variable lists the sweep', async () => {
    const values = await prometheus.server.api<string[]>('label/sweep/values', { 'match[]': 'denoise_sweep_sweep_trials' });
    expect(values).toContain(SWEEP);
  });

  it.each(Object.keys(DASHBOARDS))('every panel query of %s returns data', async (file) => {
    const endS = Date.now() / 1000;
    const empty: string[] = [];
    for (const q of dashboardQueries(DASHBOARDS[file]!.panels ?? [])) {
      const expr = expandGrafanaVariables(q.expr, { sweep: SWEEP });
      const result = q.instant ? await prometheus.server.query(expr, endS) : await prometheus.server.queryRange(expr, startS, endS, 2);
      if (!hasFiniteValue(result)) empty.push(`${q.panel} / ${q.refId}: ${expr}`);
    }
    expect(empty, `queries without data:\n${empty.join('\n')}`).toEqual([]);
  });

  it('every recording rule is healthy and records data; every alert rule evaluates without error', async () => {
    const { groups } = await prometheus.server.api<{ groups: { rules: { type: string; name: string; query: string; health: string; lastError?: string }[] }[] }>('rules', {});
    const rules = groups.flatMap((g) => g.rules);
    expect(rules.filter((r) => r.type === 'recording').length).toBeGreaterThanOrEqual(5);
    const problems: string[] = [];
    for (const rule of rules) {
      if (rule.health !== 'ok') problems.push(`${rule.name}: health ${rule.health} ${rule.lastError ?? ''}`);
      if (rule.type !== 'recording') continue;
      if (!hasFiniteValue(await prometheus.server.query(rule.query))) problems.push(`${rule.name}: its expression has no data: ${rule.query}`);
      if (!hasFiniteValue(await prometheus.server.query(rule.name))) problems.push(`${rule.name}: nothing recorded`);
    }
    expect(problems, problems.join('\n')).toEqual([]);
  });
});
