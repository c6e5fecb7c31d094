/**
 * A real Prometheus (the Debian `prometheus` binary) for tests: a free loopback port, a
 * temporary storage directory, the project's rule files, and the same job names as
 * infra/prometheus/prometheus.yml, with file_sd target files the test rewrites at will
 * (Prometheus re-reads them; no restart). usePrometheus() starts it in beforeAll and stops it
 * and removes its directory in afterAll.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFreePort } from '@denoise-sweep/orchestrator/local';
import { afterAll, beforeAll } from 'vitest';

export const INFRA_PROMETHEUS_DIR = fileURLToPath(new URL('../../infra/prometheus/', import.meta.url));
/** Job names of infra/prometheus/prometheus.yml: dashboards and alerts select on them. */
const WORKER_JOB = 'denoise-sweep-worker';
const EXPORTER_JOB = 'denoise-sweep-exporter';

/** host:port of each /metrics endpoint, per job. */
export interface ScrapeTargets {
  worker: string[];
  exporter: string[];
}

export interface TestConfigOptions {
  /** Directory holding the file_sd target files. */
  dir: string;
  /** Prometheus's own port (it scrapes itself, like the production config). */
  port: number;
  /** @defaultValue '1s' */
  scrapeInterval?: string;
}

/**
 * The test twin of infra/prometheus/prometheus.yml: same jobs and rule files, file_sd instead
 * of DNS, short intervals. JSON is YAML, so this is written as is.
 */
export function testConfig(o: TestConfigOptions): Record<string, unknown> {
  const interval = o.scrapeInterval ?? '1s';
  return {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    rule_files: [join(INFRA_PROMETHEUS_DIR, 'rules', '*.yml')],
    scrape_configs: [
      { job_name: 'prometheus', static_configs: [{ targets: [`127.0.0.1:${o.port}`] }] },
      { job_name: WORKER_JOB, file_sd_configs: [{ files: [join(o.dir, 'workers.json')], refresh_interval: '1s' }] },
      { job_name: EXPORTER_JOB, file_sd_configs: [{ files: [join(o.dir, 'exporter.json')], refresh_interval: '1s' }] },
    ],
  };
}

function writeTargetFiles(dir: string, targets: ScrapeTargets): void {
  writeFileSync(join(dir, 'workers.json'), JSON.stringify([{ targets: targets.worker }]));
  writeFileSync(join(dir, 'exporter.json'), JSON.stringify([{ targets: targets.exporter }]));
}

interface PromSample {
  metric: Record<string, string>;
  /** Instant queries. */
  value?: [number, string];
  /** Range queries. */
  values?: [number, string][];
}

export interface PromQueryResult {
  resultType: 'vector' | 'matrix' | 'scalar' | 'string';
  /** Series for vector and matrix answers; scalar and string answers come as one sample. */
  result: PromSample[];
}

class PrometheusApiError extends Error {}

export interface PrometheusServer {
  url: string;
  port: number;
  dir: string;
  configFile: string;
  /** Replaces the scraped endpoints (Prometheus notices within a second). */
  setTargets(targets: ScrapeTargets): void;
  /** GET /api/v1/<path>; throws PrometheusApiError with Prometheus's message on an error answer. */
  api<T>(path: string, params: Record<string, string | string[]>): Promise<T>;
  query(expr: string, timeS?: number): Promise<PromQueryResult>;
  queryRange(expr: string, startS: number, endS: number, stepS: number): Promise<PromQueryResult>;
  stop(): Promise<void>;
}

async function apiGet<T>(base: string, path: string, params: Record<string, string | string[]>): Promise<T> {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const one of Array.isArray(v) ? v : [v]) search.append(k, one);
  const response = await fetch(`${base}/api/v1/${path}?${search.toString()}`);
  const body = await response.json() as { status: string; data?: T; error?: string; errorType?: string };
  if (body.status !== 'success' || body.data === undefined) {
    throw new PrometheusApiError(`Prometheus ${path} failed (${body.errorType ?? response.status}): ${body.error ?? 'no data'} [${JSON.stringify(params)}]`);
  }
  return body.data;
}

function normalise(data: { resultType: PromQueryResult['resultType']; result: unknown }): PromQueryResult {
  if (data.resultType === 'scalar' || data.resultType === 'string') return { resultType: data.resultType, result: [{ metric: {}, value: data.result as [number, string] }] };
  return { resultType: data.resultType, result: data.result as PromSample[] };
}

async function waitReady(url: string, child: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with code ${child.exitCode} before it was ready:\n${log()}`);
    try {
      const response = await fetch(`${url}/-/ready`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`prometheus was not ready at ${url} within ${timeoutMs} ms:\n${log()}`);
}

/** `prometheus` is on PATH (Debian package `prometheus`). */
export function prometheusAvailable(): boolean {
  return spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function startPrometheus(options: { targets?: ScrapeTargets; scrapeInterval?: string } = {}): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-test-'));
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  writeTargetFiles(dir, options.targets ?? { worker: [], exporter: [] });
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, JSON.stringify(testConfig({ dir, port, scrapeInterval: options.scrapeInterval }), null, 2));
  const child = spawn('prometheus', [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(force);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(url, child, () => stderr, 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url, port, dir, configFile,
    setTargets: (targets) => writeTargetFiles(dir, targets),
    api: (path, params) => apiGet(url, path, params),
    query: async (expr, timeS) => normalise(await apiGet(url, 'query', { query: expr, ...(timeS === undefined ? {} : { time: String(timeS) }) })),
    queryRange: async (expr, startS, endS, stepS) => normalise(await apiGet(url, 'query_range', { query: expr, start: String(startS), end: String(endS), step: String(stepS) })),
    stop,
  };
}

/** A Prometheus for the whole test file: started in beforeAll, stopped in afterAll. */
export function usePrometheus(options: { targets?: ScrapeTargets; scrapeInterval?: string } = {}): { readonly server: PrometheusServer } {
  let server: PrometheusServer | undefined;
  beforeAll(async () => {
    server = await startPrometheus(options);
  });
  afterAll(async () => {
    await server?.stop();
  });
  return {
    get server() {
      if (server === undefined) throw new Error('Prometheus is not running: call usePrometheus() at the top of the file and use it inside tests');
      return server;
    },
  };
}

/** Values Grafana gives its built-in variables, for running panel queries outside Grafana. */
export interface GrafanaVariables {
  /** Dashboard variables by name, e.g. { sweep: 'my-sweep' }. */
  [name: string]: string;
}

const BUILTINS: GrafanaVariables = { __rate_interval: '20s', __interval: '5s', __range: '5m' };

/**
 * Substitutes $name and ${name} in a panel query as Grafana would; throws on a variable
 * with no value, so a typo cannot turn into a query that silently matches nothing.
 */
export function expandGrafanaVariables(expr: string, variables: GrafanaVariables): string {
  const all = { ...BUILTINS, ...variables };
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (match, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    const value = all[name];
    if (value === undefined) throw new Error(`no value for the Grafana variable ${match} in: ${expr}`);
    return value;
  });
}

/** A result holds at least one series with at least one number that is not NaN. */
export function hasFiniteValue(result: PromQueryResult): boolean {
  return result.result.some((s) => [...(s.value ? [s.value] : []), ...(s.values ?? [])].some(([, v]) => !Number.isNaN(Number(v))));
}
