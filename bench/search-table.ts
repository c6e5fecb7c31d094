/**
 * The search benchmark's table: every configuration of a discrete space trained for real by
 * the product itself (a grid sweep run by the orchestrator in local mode), once per training
 * seed, each with its PSNR and train seconds per epoch. Each seed's table is cached as JSON
 * under the cache dir, keyed by a hash of the space and the seed, and reused when present.
 * The replay runs on the mean over seeds: a configuration's expected curve, not one seed's luck
 * (the best configurations differ by less than one seed moves them).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '@denoise-sweep/shared';
import { configKeyOf, sweepFileText, type ConfigCurve, type ReplayTable, type SearchSpaceDef } from './search-replay.js';
import { runLocalSweep, sweepResults, trialMetrics } from './search-orchestrator.js';
import { round } from './stats.js';

const TABLE_FORMAT = 1;
const TABLE_WORKERS = 2;

/** Training seeds of the table: three, as tabular HPO benchmarks commonly train each configuration; one quick. */
export const tableSeeds = (quick: boolean): number[] => (quick ? [0] : [0, 1, 2]);

/**
 * The space of the benchmark (issue 13): 108 configurations (learning rates a quarter decade
 * apart, so that the best is a needle random search rarely hits in 20 trials), 12 quick.
 */
export function benchSpace(quick: boolean): SearchSpaceDef {
  return quick
    ? {
      noise_factor: 0.5,
      learning_rate: [0.0003, 0.003, 0.01],
      batch_size: [64, 256],
      filters: [[8, 16], [16, 32]],
      epochs: 6,
      dataset: { train_limit: 1000, test_limit: 250 },
    }
    : {
      noise_factor: 0.5,
      learning_rate: [0.0001, 0.0001778, 0.0003162, 0.0005623, 0.001, 0.001778, 0.003162, 0.005623, 0.01],
      batch_size: [32, 64, 128, 256],
      filters: [[8, 16], [16, 32], [32, 64]],
      epochs: 9,
      dataset: { train_limit: 2000, test_limit: 500 },
    };
}

export interface TableRow extends ConfigCurve {
  /** The product's trial id of the configuration. */
  trial: string;
  /** Train seconds of each epoch, as metrics.jsonl recorded them. */
  train_seconds: number[];
}

interface SearchTable extends ReplayTable {
  format: number;
  /** The training seed of every trial (absent in tables written before seeds were recorded: 0). */
  seed?: number;
  /** First 12 hex digits of the sha256 of the canonical space description. */
  key: string;
  rows: TableRow[];
  computedAt: string;
  /** Wall seconds of the grid sweep that computed it. */
  computeSeconds: number;
  workers: number;
}

interface LoadedTable {
  table: SearchTable;
  path: string;
  reused: boolean;
}

/** The space and seed as canonical JSON: fixed key order, so the same space always hashes the same. */
function canonicalSpace(space: SearchSpaceDef, seed: number): string {
  return JSON.stringify({
    noise_factor: space.noise_factor,
    learning_rate: space.learning_rate,
    batch_size: space.batch_size,
    filters: space.filters,
    epochs: space.epochs,
    seed,
    dataset: { train_limit: space.dataset.train_limit, test_limit: space.dataset.test_limit },
    metric: 'psnr',
  });
}

const spaceKey = (space: SearchSpaceDef, seed: number): string => createHash('sha256').update(canonicalSpace(space, seed)).digest('hex').slice(0, 12);

export const spaceSize = (space: SearchSpaceDef): number => space.learning_rate.length * space.batch_size.length * space.filters.length;

function benchCacheDir(): string {
  return join(process.env.DENOISE_SWEEP_CACHE_DIR || join(homedir(), '.cache', 'denoise-sweep'), 'bench');
}

/** Why a cached table cannot serve this space, or undefined when it can. */
function unusable(table: SearchTable, space: SearchSpaceDef, key: string): string | undefined {
  if (table.format !== TABLE_FORMAT || table.key !== key) return 'another format or space';
  const keys = new Set(table.rows.map((r) => configKeyOf(r.params)));
  if (keys.size !== spaceSize(space)) return `${keys.size} configurations, not ${spaceSize(space)}`;
  const short = table.rows.find((r) => r.psnr.length !== space.epochs || r.psnr.some((p) => !Number.isFinite(p)));
  return short ? `configuration ${configKeyOf(short.params)} has ${short.psnr.length} finite epochs, not ${space.epochs}` : undefined;
}

/** A table of curves averaged over seeds (a ReplayTable with train seconds). */
interface MeanTable {
  space: SearchSpaceDef;
  rows: TableRow[];
}

/** The mean table over seeds, with each seed's table. */
export interface SeededTables {
  /** Each configuration's curve averaged over the seeds (train seconds too). */
  mean: MeanTable;
  perSeed: { seed: number; loaded: LoadedTable }[];
}

/** The tables of the space for every seed (cached or computed, one after the other) and their mean. */
export async function loadOrBuildTables(space: SearchSpaceDef, seeds: readonly number[], log: (line: string) => void): Promise<SeededTables> {
  const perSeed: SeededTables['perSeed'] = [];
  for (const seed of seeds) perSeed.push({ seed, loaded: await loadOrBuildTable(space, seed, log) });
  return { mean: meanTable(space, perSeed.map((p) => p.loaded.table.rows)), perSeed };
}

/** Each configuration's curves and train seconds averaged over tables of the same space. */
function meanTable(space: SearchSpaceDef, tables: readonly TableRow[][]): MeanTable {
  const [first, ...rest] = tables;
  if (!first) throw new Error('internal: no table to average');
  const others = rest.map((rows) => new Map(rows.map((r) => [configKeyOf(r.params), r])));
  const average = (values: readonly number[][], e: number) => values.reduce((sum, v) => sum + v[e]!, 0) / values.length;
  const rows = first.map((row) => {
    const same = [row, ...others.map((o) => o.get(configKeyOf(row.params)))];
    if (same.some((r) => r === undefined)) throw new Error(`internal: configuration ${configKeyOf(row.params)} is missing from a seed's table`);
    const all = same as TableRow[];
    return {
      trial: row.trial,
      params: row.params,
      psnr: row.psnr.map((_, e) => average(all.map((r) => r.psnr), e)),
      train_seconds: row.train_seconds.map((_, e) => average(all.map((r) => r.train_seconds), e)),
    };
  });
  return { space, rows };
}

/** One seed's table of the space: from the cache when there, else computed by a real grid sweep and cached. */
async function loadOrBuildTable(space: SearchSpaceDef, seed: number, log: (line: string) => void): Promise<LoadedTable> {
  const key = spaceKey(space, seed);
  const dir = benchCacheDir();
  const path = join(dir, `search-table-${key}.json`);
  if (existsSync(path)) {
    const cached = JSON.parse(await readFile(path, 'utf8')) as SearchTable;
    const why = unusable(cached, space, key);
    if (why === undefined) {
      log(`table: seed ${seed}: reused ${path} (${cached.rows.length} configurations, computed ${cached.computedAt} in ${cached.computeSeconds} s on ${cached.workers} workers)`);
      return { table: cached, path, reused: true };
    }
    log(`table: ${path} does not fit (${why}): computing it again`);
  }
  const table = await buildTable(space, seed, key, join(dir, `search-state-${key}`), log);
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(path, `${JSON.stringify(table)}\n`);
  log(`table: seed ${seed}: computed in ${table.computeSeconds} s, cached at ${path}`);
  return { table, path, reused: false };
}

/**
 * Trains every configuration of the space with a grid sweep in local mode. The state dir
 * survives an interrupted run (the same command resumes the sweep) and is deleted once the
 * table is read.
 */
async function buildTable(space: SearchSpaceDef, seed: number, key: string, stateDir: string, log: (line: string) => void): Promise<SearchTable> {
  const name = `search table ${key}`;
  const sweep = `search-table-${key}`;
  await mkdir(stateDir, { recursive: true });
  const file = join(stateDir, 'sweep.yaml');
  await writeFile(file, sweepFileText(space, { name, method: 'grid', keep_checkpoints: 'latest' }, seed));
  log(`table: seed ${seed}: training all ${spaceSize(space)} configurations x ${space.epochs} epochs on ${space.dataset.train_limit} images `
    + `(grid sweep '${sweep}', local mode, ${TABLE_WORKERS} workers, state in ${stateDir})`);
  const started = performance.now();
  await runLocalSweep(file, stateDir, TABLE_WORKERS, (line) => log(`  ${line}`));
  const computeSeconds = round((performance.now() - started) / 1000, 1);
  const results = await sweepResults(sweep, stateDir);
  const rows: TableRow[] = [];
  for (const r of results) {
    const metrics = await trialMetrics(stateDir, sweep, r.trial);
    if (r.state !== 'done' || metrics.length !== space.epochs) {
      throw new Error(`table: trial ${r.trial} (${r.state}) has ${metrics.length} epochs of ${space.epochs}; state kept in ${stateDir}`);
    }
    rows.push({
      trial: r.trial,
      params: { learning_rate: r.learning_rate, batch_size: r.batch_size, filters: r.filters },
      psnr: metrics.map((m) => m.psnr),
      train_seconds: metrics.map((m) => round(m.train_seconds, 3)),
    });
  }
  const table: SearchTable = { format: TABLE_FORMAT, key, seed, space, rows, computedAt: new Date().toISOString(), computeSeconds, workers: TABLE_WORKERS };
  const why = unusable(table, space, key);
  if (why !== undefined) throw new Error(`table: the grid sweep gave an incomplete table (${why}); state kept in ${stateDir}`);
  await rm(stateDir, { recursive: true, force: true });
  return table;
}
