/**
 * Section 'search' (issue 13): search methods compared the way HPO papers compare them on
 * tabular benchmarks. Every configuration of a discrete space is trained for real by the
 * product, with three training seeds (cached); then random search, bayes, tpe, random +
 * hyperband and tpe + ASHA (stop and pause) are replayed against the mean curves with 4
 * simulated workers over 100 search seeds, each with the same run_cap; last, one real tpe +
 * ASHA sweep runs end to end and is set beside what the replay predicts for it.
 */
import { type E2eResult, E2E_SWEEP_NAME, E2E_WORKERS, runE2eSweep } from './search-e2e.js';
import { searchTargets, summarize, type MethodSummary, type SearchTargets, type Spread } from './search-compare.js';
import { REPLAY_METHODS, configKeyOf, replay, type ReplayRun, type SearchSpaceDef } from './search-replay.js';
import { benchSpace, loadOrBuildTables, spaceSize, tableSeeds, type TableRow } from './search-table.js';
import { median, round, sampleStd } from './stats.js';

const WORKERS = 4;
/** Per-seed lines are printed for this many seeds at most (the JSON has them all). */
const PER_SEED_LINES_UP_TO = 20;

export interface SearchSectionResult {
  quick: boolean;
  space: SearchSpaceDef;
  table: {
    /** One table per training seed; the replay runs on their mean. */
    seeds: { seed: number; path: string; key: string; reused: boolean; computeSeconds: number; computedAt: string }[];
    configurations: number;
    /** Best configuration by mean final PSNR over the seeds, with each seed's final PSNR. */
    best: { params: TableRow['params']; finalPsnr: number; finalPsnrBySeed: number[] };
    worstFinalPsnr: number;
    /** Median over configurations of the standard deviation of final PSNR across seeds (null with one seed). */
    seedStdDb: number | null;
    medianEpochTrainSeconds: number;
  };
  replay: { workers: number; runCap: number; seeds: number[]; seconds: number; methods: MethodSummary[] };
  targets: SearchTargets;
  e2e: E2eResult & {
    /** The replay of the same sweep (same name, seed 0, 2 workers) against the table. */
    predicted: { trials: number; epochs: number; bestPsnr: number; makespanEpochs: number; counts: ReplayRun['counts']; trainSeconds: number };
  };
}

const fmtSpread = (s: Spread, digits = 2) => `${s.median.toFixed(digits)} [${s.min.toFixed(digits)}..${s.max.toFixed(digits)}]`;
const fmt = (x: number | null, digits = 2) => (x === null ? 'never' : x.toFixed(digits));
const paramsText = (p: TableRow['params']) => `lr ${p.learning_rate}, batch ${p.batch_size}, filters [${p.filters.join(', ')}]`;

export async function runSearchSection(quick: boolean, log: (line: string) => void): Promise<SearchSectionResult> {
  const space = benchSpace(quick);
  // Enough for TPE's 10 random startup trials and 10 of its own; under a fifth of the 108
  // configurations, so random search does not stumble on the best one every time.
  const runCap = quick ? 8 : 20;
  const e2eRunCap = quick ? 6 : 12;
  // Replays cost milliseconds: 100 search seeds, so that medians and "most seeds" do not hang
  // on a handful of lucky draws (20 seeds moved the verdicts from run to run of the design).
  const seeds = Array.from({ length: quick ? 5 : 100 }, (_, i) => i);
  log(`space: learning_rate ${JSON.stringify(space.learning_rate)} x batch_size ${JSON.stringify(space.batch_size)} x filters ${JSON.stringify(space.filters)} `
    + `= ${spaceSize(space)} configurations, ${space.epochs} epochs, noise_factor ${space.noise_factor}, `
    + `${space.dataset.train_limit} train / ${space.dataset.test_limit} test images of Fashion-MNIST`);

  // 1. The table, computed once per training seed for real and cached; the replay uses the mean.
  const seeded = await loadOrBuildTables(space, tableSeeds(quick), log);
  const table = seeded.mean;
  const finals = table.rows.map((r) => ({ row: r, final: r.psnr[space.epochs - 1]! }));
  const bestRow = finals.reduce((a, b) => (b.final > a.final ? b : a));
  const worst = Math.min(...finals.map((f) => f.final));
  const epochSeconds = median(table.rows.flatMap((r) => r.train_seconds));
  const finalBySeed = (params: TableRow['params']) => seeded.perSeed.map((p) => p.loaded.table.rows.find((r) => configKeyOf(r.params) === configKeyOf(params))!.psnr[space.epochs - 1]!);
  const seedStd = seeded.perSeed.length < 2 ? null : median(table.rows.map((r) => sampleStd(finalBySeed(r.params))));
  log(`table: ${table.rows.length} configurations, mean of ${seeded.perSeed.length} training seed(s); final PSNR from ${worst.toFixed(2)} to ${bestRow.final.toFixed(2)} dB `
    + `(best: ${paramsText(bestRow.row.params)}); median ${epochSeconds.toFixed(2)} s of training per epoch`);
  if (seedStd !== null) {
    log(`table: seed noise: final PSNR moves by ${seedStd.toFixed(3)} dB (median standard deviation over seeds ${seeded.perSeed.map((p) => p.seed).join(', ')}); best five by mean:`);
    for (const f of [...finals].sort((a, b) => b.final - a.final).slice(0, 5)) {
      log(`  ${f.final.toFixed(3)} dB (seeds: ${finalBySeed(f.row.params).map((v) => v.toFixed(3)).join(', ')})  ${paramsText(f.row.params)}`);
    }
  }

  // 2. Replay every method and seed against the table.
  log(`replay: ${WORKERS} simulated workers, one epoch = one unit of time, run_cap ${runCap}, seeds ${seeds[0]}..${seeds.at(-1)}`);
  const started = performance.now();
  const runs: ReplayRun[] = [];
  for (const method of REPLAY_METHODS) {
    for (const seed of seeds) runs.push(replay(table, { method, seed, runCap, workers: WORKERS }));
  }
  const replaySeconds = round((performance.now() - started) / 1000, 1);
  const methods = summarize(runs);
  const targets = searchTargets(methods);
  log(`replayed ${runs.length} runs in ${replaySeconds} s`);
  printMethods(methods, log);
  printTargets(targets, log);

  // 4. One real adaptive sweep end to end (its trials train with seed 0), and the replay's
  // prediction for it on the seed-0 table.
  const seed0 = seeded.perSeed.find((p) => p.seed === 0)!.loaded.table;
  const e2e = await runE2eSweep(space, e2eRunCap, seed0, log);
  const p = replay(seed0, { method: 'tpe+asha (pause)', seed: 0, runCap: e2eRunCap, workers: E2E_WORKERS, sweepName: E2E_SWEEP_NAME });
  const seconds = new Map(seed0.rows.map((r) => [configKeyOf(r.params), r.train_seconds]));
  const predictedSeconds = p.trialLog.reduce((sum, t) => sum + (seconds.get(configKeyOf(t.params)) ?? []).slice(0, t.epochsTrained).reduce((a, b) => a + b, 0), 0);
  const predicted = {
    trials: p.trials,
    epochs: p.epochs,
    bestPsnr: round(p.best, 3),
    makespanEpochs: p.makespan,
    counts: p.counts,
    trainSeconds: round(predictedSeconds, 1),
  };
  log(`real sweep '${e2e.sweep}': ${e2e.wallSeconds} s wall; ${e2e.trials} trials: done ${e2e.counts.done}, stopped ${e2e.counts.stopped}, `
    + `paused ${e2e.counts.paused}${e2e.counts.other ? `, other ${e2e.counts.other}` : ''}; ${e2e.resumed} resumed after a pause; `
    + `${e2e.epochsTrained} epochs trained; best PSNR ${fmt(e2e.bestPsnr, 3)} dB`);
  log(`replay of the same sweep (seed 0, ${E2E_WORKERS} workers): ${predicted.trials} trials: done ${p.counts.done}, stopped ${p.counts.stopped}, `
    + `paused ${p.counts.paused}, ${p.counts.promoted} promoted; ${predicted.epochs} epochs trained (${predicted.trainSeconds} s of training in the table), `
    + `makespan ${predicted.makespanEpochs} epochs; best PSNR ${predicted.bestPsnr.toFixed(3)} dB`);
  log(`real PSNRs against the table: largest difference ${e2e.tableMaxAbsDiffDb === null ? '-' : `${e2e.tableMaxAbsDiffDb} dB`}`
    + `${e2e.trialsOutsideTable ? `; ${e2e.trialsOutsideTable} trial(s) not in the table` : ''}`);

  return {
    quick,
    space,
    table: {
      seeds: seeded.perSeed.map(({ seed, loaded }) => ({
        seed, path: loaded.path, key: loaded.table.key, reused: loaded.reused, computeSeconds: loaded.table.computeSeconds, computedAt: loaded.table.computedAt,
      })),
      configurations: table.rows.length,
      best: { params: bestRow.row.params, finalPsnr: round(bestRow.final, 3), finalPsnrBySeed: finalBySeed(bestRow.row.params).map((v) => round(v, 3)) },
      worstFinalPsnr: round(worst, 3),
      seedStdDb: seedStd === null ? null : round(seedStd, 3),
      medianEpochTrainSeconds: round(epochSeconds, 3),
    },
    replay: { workers: WORKERS, runCap, seeds, seconds: replaySeconds, methods },
    targets,
    e2e: { ...e2e, predicted },
  };
}

function printMethods(methods: readonly MethodSummary[], log: (line: string) => void): void {
  const header = ['method', 'best PSNR dB, median [min..max]', 'epochs trained', "epochs to random's best", "of random's epochs", 'reached', 'makespan'];
  const rows = methods.map((m) => [
    m.method,
    fmtSpread(m.bestPsnr, 3),
    fmtSpread(m.epochs, 0),
    fmt(m.epochsToRandomBest, 0),
    fmt(m.fractionOfRandomEpochs, 3),
    `${m.reachedRandomBestSeeds}/${m.seeds.length}`,
    fmtSpread(m.makespan, 0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`;
  log('per method, over seeds (epochs to random\'s best: the median over seeds of the epochs a method trained before it first matched random search\'s best PSNR of the same seed):');
  log(line(header));
  for (const r of rows) log(line(r));
  for (const m of methods) {
    if (m.method === 'random' || m.seeds.length > PER_SEED_LINES_UP_TO) continue;
    log(`  ${m.method}, per seed (best PSNR; epochs to random's best / fraction): `
      + m.seeds.map((s) => `${s.seed}: ${s.best.toFixed(2)}; ${s.epochsToRandomBest === null ? 'never' : `${s.epochsToRandomBest}/${fmt(s.fractionOfRandomEpochs, 2)}`}`).join(', '));
  }
}

function printTargets(t: SearchTargets, log: (line: string) => void): void {
  const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
  const e = t.earlyStopping;
  log(`target (a), early stopping reaches random's best with at most 1/3 of random's epochs (median over seeds): ${verdict(e.met)} (`
    + Object.entries(e.fractions).map(([m, f]) => `${m} ${fmt(f, 3)}`).join(', ') + ')');
  const a = t.adaptiveBeatsRandom;
  log(`target (b), bayes and tpe beat random's best PSNR at equal trial count on most seeds: ${verdict(a.met)} (`
    + Object.keys(a.beats).map((m) => `${m} better on ${a.beats[m]}/${a.seeds}, tied on ${a.ties[m]}, worse on ${a.seeds - (a.beats[m] ?? 0) - (a.ties[m] ?? 0)}`).join('; ') + ')');
  const c = t.pauseNotWorseThanStop;
  log(`target (c), pause-and-promote never worse than stop (best PSNR per seed): ${verdict(c.met)} (${c.violations} violation(s) in ${c.seeds} seeds`
    + `${c.violatingSeeds.length ? `: seeds ${c.violatingSeeds.join(', ')}` : ''})`);
  const s = t.strictPause;
  log(`not a target: tpe+asha (pause, strict) reaches random's best with ${fmt(s.fraction, 3)} of random's epochs, `
    + `and ends below stop's best PSNR on ${s.worseThanStop}/${s.seeds} seeds (it trains fewer epochs for the same run_cap)`);
}
