/**
 * Replays search methods against a table of learning curves (every configuration of a
 * discrete space, trained once for real): a discrete-event simulation of W parallel workers
 * in which one epoch of training costs one unit of time. The trials come from the product's
 * own code: random search's order from expandSweep, bayes and tpe suggestions from
 * computeSuggestion, and rung decisions from decideOnRung, so a replay decides exactly what
 * workers would, given the same curves. Pure: no I/O, no clock.
 */
import type { EarlyTerminate, SuggestionEntry, SweepSpec, Trial, TrialOutcome } from '@denoise-sweep/shared';
import {
  computeSuggestion, decideOnRung, expandSweep, outcomeAfterRung, parseSweepText, searchPayloadOf, searchPolicyOf, seenOf, sweepId, trialRungs,
} from '@denoise-sweep/shared';

/** A discrete search space at fixed noise_factor and seed (0). */
export interface SearchSpaceDef {
  noise_factor: number;
  learning_rate: number[];
  batch_size: number[];
  filters: number[][];
  epochs: number;
  dataset: { train_limit: number; test_limit: number };
}

export interface ConfigParams {
  learning_rate: number;
  batch_size: number;
  filters: number[];
}

/** One configuration's learning curve. */
export interface ConfigCurve {
  params: ConfigParams;
  /** PSNR (dB) of the test subset after each epoch: psnr[e - 1] after epoch e. */
  psnr: number[];
}

export interface ReplayTable {
  space: SearchSpaceDef;
  rows: ConfigCurve[];
}

export const REPLAY_METHODS = ['random', 'bayes', 'tpe', 'random+hyperband', 'random+asha (pause)', 'tpe+asha (stop)', 'tpe+asha (pause)', 'tpe+asha (pause, strict)'] as const;
export type ReplayMethod = (typeof REPLAY_METHODS)[number];

export interface ReplayOptions {
  method: ReplayMethod;
  /** search_seed of the sweep. */
  seed: number;
  /** Trials started at most. */
  runCap: number;
  workers: number;
  /** The sweep's name: its id seeds random search and the samplers. @defaultValue 'search replay' */
  sweepName?: string;
}

/** One stretch of training of a trial on one worker: epochs from + 1 .. to. */
interface TrainingSegment {
  worker: number;
  /** Simulated time at which the stretch began. */
  start: number;
  from: number;
  to: number;
}

interface ReplayTrial {
  id: string;
  params: ConfigParams;
  state: 'done' | 'stopped' | 'paused';
  epochsTrained: number;
  /** The rung epoch at which it was stopped or (last) paused. */
  cutAt: number | null;
  promoted: boolean;
  segments: TrainingSegment[];
}

export interface ReplayRun {
  method: ReplayMethod;
  seed: number;
  trials: number;
  epochs: number;
  /** Best PSNR at any epoch's end trained (a stopped or paused trial counts with its last epoch). */
  best: number;
  /** Simulated time (epochs) until the last worker went idle. */
  makespan: number;
  counts: { done: number; stopped: number; paused: number; promoted: number };
  /** (epochs trained so far, best PSNR so far) at every improvement, in order. */
  trajectory: { epochs: number; best: number }[];
  trialLog: ReplayTrial[];
}

/** What each method is: a source of trials and, optionally, early termination. */
const PLANS: Record<ReplayMethod, { source: 'random' | 'bayes' | 'tpe'; earlyTerminate?: (epochs: number) => Record<string, unknown> }> = {
  random: { source: 'random' },
  bayes: { source: 'bayes' },
  tpe: { source: 'tpe' },
  'random+hyperband': { source: 'random', earlyTerminate: () => ({ type: 'hyperband', min_iter: 1, eta: 3, mode: 'stop', strict: true }) },
  // ASHA on random search's own order: what the rungs save, apart from what TPE chooses.
  'random+asha (pause)': { source: 'random', earlyTerminate: (epochs) => ({ type: 'asha', grace_period: 1, reduction_factor: 3, max_t: epochs, brackets: 1, mode: 'pause' }) },
  'tpe+asha (stop)': { source: 'tpe', earlyTerminate: (epochs) => ({ type: 'asha', grace_period: 1, reduction_factor: 3, max_t: epochs, brackets: 1, mode: 'stop' }) },
  'tpe+asha (pause)': { source: 'tpe', earlyTerminate: (epochs) => ({ type: 'asha', grace_period: 1, reduction_factor: 3, max_t: epochs, brackets: 1, mode: 'pause' }) },
  // The original ASHA's promotion rule, which only pausing allows: no trial passes a rung before it holds 3.
  'tpe+asha (pause, strict)': { source: 'tpe', earlyTerminate: (epochs) => ({ type: 'asha', grace_period: 1, reduction_factor: 3, max_t: epochs, brackets: 1, mode: 'pause', strict: true }) },
};

/** The parameters of a sweep.yaml over the space, as lists of values; seed 0 unless given. */
function spaceParameters(space: SearchSpaceDef, seed: number): Record<string, unknown> {
  return {
    noise_factor: { value: space.noise_factor },
    learning_rate: { values: space.learning_rate },
    batch_size: { values: space.batch_size },
    filters: { values: space.filters },
    epochs: { value: space.epochs },
    ...(seed === 0 ? {} : { seed: { value: seed } }),
  };
}

/** The text of a sweep.yaml over the space (JSON is YAML), with `top` the other keys, its trials trained with `seed`. */
export function sweepFileText(space: SearchSpaceDef, top: Record<string, unknown>, seed = 0): string {
  return `${JSON.stringify({ ...top, metric: { name: 'psnr', goal: 'maximize' }, parameters: spaceParameters(space, seed), dataset: space.dataset }, null, 2)}\n`;
}

/** The key of a configuration in the table. */
export const configKeyOf = (p: ConfigParams): string => `${p.learning_rate}|${p.batch_size}|${p.filters.join(',')}`;

/** The spec a method's sweep would have: parsed by the product (bayes: parsed as tpe, then set). */
function replaySpec(space: SearchSpaceDef, options: ReplayOptions): SweepSpec {
  const plan = PLANS[options.method];
  const text = sweepFileText(space, {
    name: options.sweepName ?? 'search replay',
    method: plan.source === 'bayes' ? 'tpe' : plan.source,
    run_cap: options.runCap,
    search_seed: options.seed,
    ...(plan.earlyTerminate ? { early_terminate: plan.earlyTerminate(space.epochs) } : {}),
  });
  const spec = parseSweepText(text, `replay of ${options.method}`);
  // parseSweepText refuses bayes on listed values only; the sampler takes them as ordered positions.
  return plan.source === 'bayes' ? { ...spec, method: 'bayes' } : spec;
}

interface SimTrial {
  trial: Trial;
  curve: ConfigCurve;
  rungs: number[];
  bracket: number;
  trained: number;
  state: 'running' | 'queued' | 'paused' | 'done' | 'stopped';
  /** What its worker has recorded for the search so far, as a worker records it. */
  outcome?: TrialOutcome;
  cutAt: number | null;
  promoted: boolean;
  segments: TrainingSegment[];
}

type RungTableOf = Parameters<typeof decideOnRung>[1];
type Decision = ReturnType<typeof decideOnRung>['decision'];
type Seen = Parameters<typeof computeSuggestion>[3][number];

const PSNR_METRIC = { name: 'psnr', goal: 'maximize' } as const;

/** What a sampler sees of a trial: production's seenOf of the outcome its worker recorded. */
const seenOfTrial = (t: SimTrial): Seen => seenOf(t.trial.id, t.outcome, PSNR_METRIC);

/** Replays one method and seed against the table. */
export function replay(table: ReplayTable, options: ReplayOptions): ReplayRun {
  const { space } = table;
  const epochs = space.epochs;
  const byKey = new Map(table.rows.map((row) => [configKeyOf(row.params), row]));
  for (const row of table.rows) {
    if (row.psnr.length < epochs) throw new Error(`table row ${configKeyOf(row.params)} has ${row.psnr.length} epochs, not ${epochs}`);
  }
  const spec = replaySpec(space, options);
  const et: EarlyTerminate | undefined = spec.early_terminate;
  const sweep = sweepId(spec);
  const plan = PLANS[options.method];
  const order = plan.source === 'random' ? expandSweep(spec) : [];
  const policy = plan.source === 'random' ? undefined : searchPolicyOf(searchPayloadOf(spec), 'bench');
  const entries: SuggestionEntry[] = [];
  const trials: SimTrial[] = [];
  const byId = new Map<string, SimTrial>();
  const rungTables = new Map<string, { losses: Map<string, number>; decisions: Map<string, Decision> }>();
  const queue: SimTrial[] = [];
  const workers: (SimTrial | undefined)[] = new Array<SimTrial | undefined>(options.workers).fill(undefined);
  let exhausted = false;
  let time = 0;
  let total = 0;
  let best = Number.NEGATIVE_INFINITY;
  const trajectory: ReplayRun['trajectory'] = [];

  const start = (trial: Trial): SimTrial => {
    const p = trial.params;
    const curve = byKey.get(configKeyOf(p));
    if (!curve) throw new Error(`the table has no configuration ${configKeyOf(p)}`);
    const { bracket, rungs } = et ? trialRungs(et, trial.id, p.epochs) : { bracket: 0, rungs: [] };
    const t: SimTrial = { trial, curve, rungs, bracket, trained: 0, state: 'running', cutAt: null, promoted: false, segments: [] };
    trials.push(t);
    byId.set(trial.id, t);
    return t;
  };
  // As in the queue: every trial (or slot) is enqueued when the sweep starts, and a promoted
  // job goes back behind the waiting ones (BullMQ's promote pushes it like a new job), so new
  // trials come first and promoted ones resume once none is left to start.
  const next = (): SimTrial | undefined => fresh() ?? queue.shift();
  const fresh = (): SimTrial | undefined => {
    if (exhausted || trials.length >= options.runCap) return undefined;
    if (!policy) {
      const trial = order[trials.length];
      if (!trial) exhausted = true;
      return trial && start(trial);
    }
    const seen = entries.map((e) => seenOfTrial(byId.get(e.trial.id)!));
    const trial = computeSuggestion(policy, sweep, entries, seen);
    if (!trial) {
      exhausted = true;
      return undefined;
    }
    entries.push({ index: entries.length, slot: entries.length, trial, seen, at: '' });
    return start(trial);
  };
  const atRung = (t: SimTrial, loss: number): Decision => {
    const key = `${t.bracket}:${t.trained}`;
    let rt = rungTables.get(key);
    if (!rt) rungTables.set(key, (rt = { losses: new Map(), decisions: new Map() }));
    const { decision, promoted } = decideOnRung(et!, rt satisfies RungTableOf, t.trial.id, loss);
    rt.losses.set(t.trial.id, loss);
    rt.decisions.set(t.trial.id, decision);
    for (const id of promoted) {
      rt.decisions.set(id, 'promoted');
      const p = byId.get(id)!;
      p.state = 'queued';
      p.promoted = true;
      queue.push(p);
    }
    return decision;
  };

  for (;;) {
    workers.forEach((busy, w) => {
      if (busy) return;
      const t = next();
      if (!t) return;
      t.state = 'running';
      t.segments.push({ worker: w, start: time, from: t.trained, to: t.trained });
      workers[w] = t;
    });
    if (workers.every((t) => t === undefined)) break;
    time += 1;
    workers.forEach((t, w) => {
      if (!t) return;
      t.trained += 1;
      t.segments.at(-1)!.to = t.trained;
      total += 1;
      const psnr = t.curve.psnr[t.trained - 1]!;
      if (psnr > best) {
        best = psnr;
        trajectory.push({ epochs: total, best });
      }
      if (t.trained >= t.trial.params.epochs) {
        t.state = 'done';
        t.outcome = { state: 'completed', value: psnr, epoch: t.trained };
        workers[w] = undefined;
        return;
      }
      if (!et || !t.rungs.includes(t.trained)) return;
      const decision = atRung(t, -psnr);
      // As workers record it: paused, or running on with its value at the rung; a stopped trial's result.
      t.outcome = outcomeAfterRung(decision, psnr, t.trained) ?? { state: 'stopped', value: psnr, epoch: t.trained };
      if (decision === 'stopped' || decision === 'paused') {
        t.state = decision;
        t.cutAt = t.trained;
        workers[w] = undefined;
      }
    });
  }

  const trialLog: ReplayTrial[] = trials.map((t) => ({
    id: t.trial.id,
    params: { learning_rate: t.trial.params.learning_rate, batch_size: t.trial.params.batch_size, filters: [...t.trial.params.filters] },
    state: t.state === 'done' || t.state === 'stopped' ? t.state : 'paused',
    epochsTrained: t.trained,
    cutAt: t.state === 'done' ? null : t.cutAt,
    promoted: t.promoted,
    segments: t.segments,
  }));
  const count = (s: ReplayTrial['state']) => trialLog.filter((t) => t.state === s).length;
  return {
    method: options.method,
    seed: options.seed,
    trials: trials.length,
    epochs: total,
    best,
    makespan: time,
    counts: { done: count('done'), stopped: count('stopped'), paused: count('paused'), promoted: trialLog.filter((t) => t.promoted).length },
    trajectory,
    trialLog,
  };
}

/** Epochs trained when the run first reached `target` PSNR (1e-9 slack), or null if it never did. */
export function epochsToReach(run: Pick<ReplayRun, 'trajectory'>, target: number): number | null {
  return run.trajectory.find((p) => p.best >= target - 1e-9)?.epochs ?? null;
}
