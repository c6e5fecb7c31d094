import { join } from 'node:path';
import type { SweepSpec, Trial, TrialResult } from '@denoise-sweep/shared';
import { ExitStatus, PARAM_NAMES, UsageError, describeRungs, expandSweep, isAdaptiveMethod, parseSweepFile, publishDataset, readRuntimeSettings, readSettings, storeConfigOf, sweepId } from '@denoise-sweep/shared';
import { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import type { Connections } from '../connections.js';
import { openConnections } from '../connections.js';
import type { LocalServices } from '../local/index.js';
import { defaultWorkerCount, startLocalServices } from '../local/index.js';
import { LiveBlock, renderProgress } from '../progress-view.js';
import { enqueueSlots, enqueueSweep } from '../sweep-enqueue.js';
import { sweepRecord } from '../sweep-record.js';
import type { SweepStatus } from '../sweep-state.js';
import { isSettled, readSweepStatus, sweepFraction } from '../sweep-state.js';
import { formatTrialTable } from '../trial-table.js';
import { defaultReportPath, writeSweepReport } from '../report/write-sweep-report.js';
import { renderResults } from './results.js';
import { startExporter } from './serve.js';
import type { RuntimeOptions } from './runtime-options.js';
import { addSettingOptions, RUNTIME_HELP } from './runtime-options.js';

/** Options of `orchestrator sweep FILE`. */
interface SweepCommandOptions extends RuntimeOptions {
  /** Validate and expand only; enqueue nothing. @defaultValue false */
  dryRun?: boolean;
  /** One JSON object per trial on stdout instead of a table (with --dry-run). @defaultValue false */
  json?: boolean;
  /** Return right after enqueueing, printing the sweep id. @defaultValue false */
  detach?: boolean;
}

const EXAMPLES = `
Examples:
  $ orchestrator sweep examples/sweep.yaml                    # local mode: runs everything here
  $ orchestrator sweep examples/sweep.yaml --workers 1 --state-dir /tmp/sweeps
  $ orchestrator sweep examples/sweep.yaml --store s3://my-bucket/sweeps   # local mode, artifacts in S3
  $ REDIS_URL=redis://queue:6379 STORE_URL=s3://sweeps S3_ENDPOINT=http://minio:9000 orchestrator sweep sweep.yaml --detach
  $ orchestrator sweep examples/sweep.yaml --dry-run --json | jq -r .id
  $ orchestrator sweep examples/adaptive.yaml --dry-run      # tpe + asha: what it will do

Running the same file again continues the same sweep: trials with a result are not trained
again, unfinished ones resume from their checkpoints, new grid values add only new trials.

The file follows Weights & Biases sweep conventions: name, method (grid | random | bayes | tpe),
metric, parameters (noise_factor, filters, epochs, batch_size, learning_rate, seed, each with
value, values, or except for grid a distribution with min/max), run_cap, dataset (train_limit,
test_limit), keep_checkpoints (best | latest | all), search_seed, and early_terminate
({type: hyperband, min_iter, eta} as W&B, or {type: asha, grace_period, reduction_factor} as
Ray Tune; mode: stop | pause). bayes and tpe suggest each trial when a worker is free to train
it, from what the earlier ones measured; --dry-run then shows the search space, the budget and
the rungs. See examples/sweep.yaml and examples/adaptive.yaml.

Exit codes: 0 ok, 1 runtime failure or failed trials, 2 invalid file or bad usage.`;

export function sweepCommand(io: CliIo): Command {
  return addSettingOptions(addSettingOptions(new Command('sweep')), ['workers', 'refresh'])
    .summary('run a sweep: enqueue its trials, watch them train, print the results')
    .description(
      'Validate a sweep file, expand it into trials and enqueue one job per unfinished trial; then show live '
      + 'progress until every trial is done and print the results table. Every problem in the file is '
      + 'reported with its line and key path. The sweep id is the slug of the file\'s name; each trial id is '
      + 'a hash of the trial\'s full config, so the same config is never trained twice.',
    )
    .argument('<file>', 'the sweep YAML file, e.g. examples/sweep.yaml')
    .option('--dry-run', 'validate and list the trials; enqueue nothing')
    .option('--json', 'with --dry-run: one JSON object per trial ({"id", "params", "dataset"}) and nothing else on stdout; for bayes and tpe one object describing the search')
    .option('--detach', 'return after enqueueing and print the sweep id (not in local mode, whose workers stop with it)')
    .addHelpText('after', `${EXAMPLES}\n${RUNTIME_HELP}`)
    .action(async (file: string, options: SweepCommandOptions) => {
      await runSweep(file, options, io);
    });
}

/** `orchestrator sweep FILE [--dry-run] [--json] [--detach] ...`. */
async function runSweep(file: string, options: SweepCommandOptions, io: CliIo): Promise<void> {
  if (options.json && !options.dryRun) throw new UsageError('--json goes with --dry-run; for results as JSON use: orchestrator results SWEEP --format json');
  const spec = await parseSweepFile(file);
  if (options.dryRun === true && isAdaptiveMethod(spec.method)) {
    io.out(options.json === true ? `${JSON.stringify({ sweep: sweepId(spec), method: spec.method, run_cap: spec.run_cap, metric: spec.metric, parameters: spec.parameters, early_terminate: spec.early_terminate ?? null })}\n` : formatAdaptiveDryRun(spec));
    return;
  }
  const trials = isAdaptiveMethod(spec.method) ? [] : expandSweep(spec);
  if (options.dryRun === true) {
    io.out(options.json === true ? formatJsonLines(trials) : formatDryRun(spec, trials));
    return;
  }
  const settings = readRuntimeSettings(options);
  const { stateDir, workers: workersSet, refresh, fashionMnistDir } = readSettings(['stateDir', 'workers', 'refresh', 'fashionMnistDir'], options);
  const local = !settings.redisUrl;
  if (local && options.detach) throw new UsageError('--detach needs a deployment (REDIS_URL and STORE_URL): in local mode the workers stop when the orchestrator does');
  const workers = workersSet ?? defaultWorkerCount();
  const refreshMs = 1000 * refresh;

  let services: LocalServices | undefined;
  let stopExporter: (() => Promise<void>) | undefined;
  let connections: Connections | undefined;
  const interrupted = new AbortController();
  const view = new LiveBlock();
  let signals = 0;
  // The first Ctrl-C (or SIGTERM) stops watching; local mode then stops what it started, the
  // workers after a checkpoint. A second one kills the workers and exits at once.
  const onSigint = () => {
    signals += 1;
    if (signals === 1) {
      interrupted.abort();
      return;
    }
    io.err('\nsecond signal: killing the workers and exiting now; run the same command to continue.\n');
    services?.kill();
    process.exit(130);
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    let config = { redisUrl: settings.redisUrl, store: storeConfigOf(settings) };
    if (local) {
      services = await startLocalServices(stateDir, settings, { onEvent: (message) => view.note(`local mode: ${message}`) });
      config = services.config;
      io.err(`local mode: Redis in ${services.stateDir}, artifacts in ${config.store.url}\n`);
    }
    connections = await openConnections(config, { queue: true });
    const { store, keys, queue, redis } = connections;
    const dataset = await publishDataset(store, keys, fashionMnistDir);
    const sweep = sweepId(spec);
    const adaptive = isAdaptiveMethod(spec.method);
    const enqueueOptions = { spec, store, keys, queue: queue!, redis: redis!, dataset };
    const outcome = adaptive ? await enqueueSlots(enqueueOptions) : await enqueueSweep({ ...enqueueOptions, trials });
    io.err(`Sweep ${sweep}: ${outcome.total} ${adaptive ? `trials to suggest (${spec.method}, run_cap)` : 'trials'}: ${outcome.done} already done, `
      + `${outcome.enqueued} enqueued, ${outcome.retried} retried, ${outcome.alreadyQueued} already queued`
      + `${outcome.onTheWay > 0 ? `, ${outcome.onTheWay} finished on the way by a longer trial of the same run` : ''}\n`);
    if (options.detach) {
      io.out(`${sweep}\n`);
      return;
    }
    if (services) {
      const exporter = await startExporter(connections, { host: '127.0.0.1', port: 0, sweeps: [sweep] });
      stopExporter = () => exporter.close();
      if (outcome.done < outcome.total) {
        io.err(`local mode: starting ${workers} worker process${workers === 1 ? '' : 'es'} (logs in ${services.stateDir}/logs)\n`);
        await services.startWorkers(workers);
      }
      services.writeScrapeTargets([{ job: 'denoise-sweep-exporter', url: exporter.url }]);
      io.err(`local mode: metrics at ${exporter.url}${services.workerMetricsUrls.length ? ` and ${services.workerMetricsUrls.join(', ')}` : ''} `
        + `(Prometheus file_sd targets: ${services.stateDir}/prometheus-targets.json)\n`);
    }
    const status = await watch(sweepRecord(spec, trials, dataset), connections, refreshMs, interrupted.signal, view, services?.failed);
    if (interrupted.signal.aborted) {
      io.err(local
        ? `\ninterrupted: workers checkpoint and stop; run the same command to continue the sweep.\n`
        : `\nstopped watching: the sweep goes on in the cluster; see 'orchestrator status ${sweep}'.\n`);
      throw new ExitStatus(130);
    }
    io.out(`\n${renderResults(status, store, keys, 'table')}`);
    if (services) {
      const report = await writeSweepReport({ status, store, keys, out: join(services.stateDir, defaultReportPath(sweep)) });
      io.err(`report: ${report}\n`);
    }
    const failed = status.counts.failed + status.counts.cancelled;
    if (failed > 0) {
      io.err(`${failed} trial${failed === 1 ? '' : 's'} did not finish; run the same command to retry ${failed === 1 ? 'it' : 'them'}.\n`);
      throw new ExitStatus(1);
    }
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await stopExporter?.();
    await connections?.close();
    if (services) {
      io.err('local mode: stopping workers and services\n');
      await services.stop();
    }
  }
}

/**
 * Redraws the progress view until every trial is settled or the signal aborts. A status read
 * that does not answer within a few seconds (Redis unreachable) does not freeze the view: it
 * says so and for how long, and keeps waiting for the same read. A supervised local process
 * that keeps crashing ends the watch with its error.
 */
async function watch(
  record: ReturnType<typeof sweepRecord>, c: Connections, refreshMs: number, signal: AbortSignal, view: LiveBlock, failed?: Promise<never>,
): Promise<SweepStatus> {
  const started = performance.now();
  const results = new Map<string, TrialResult>();
  let readMs = 0;
  const read = async () => {
    const t0 = performance.now();
    const answer = await readSweepStatus(record, c.store, c.keys, c.queue, results, c.redis);
    readMs = performance.now() - t0;
    return answer;
  };
  let status = await read();
  const startFraction = sweepFraction(status);
  let pending: Promise<SweepStatus> | undefined;
  let unreachableSince: number | undefined;
  for (;;) {
    const lines = renderProgress(status, (performance.now() - started) / 1000, startFraction);
    if (unreachableSince !== undefined) {
      lines.push(`  Redis does not answer (${Math.round((Date.now() - unreachableSince) / 1000)} s): waiting for it; Ctrl-C to stop`);
    }
    view.draw(lines);
    if (isSettled(status) || signal.aborted) return status;
    await sleepUnlessAborted(refreshDelayMs(refreshMs, readMs), signal, failed);
    if (signal.aborted) return status;
    pending ??= read();
    const answer = await Promise.race([pending, sleepUnlessAborted(Math.max(3000, refreshMs), signal, failed).then(() => undefined)]);
    if (answer === undefined) {
      if (unreachableSince === undefined) view.note('Redis does not answer: waiting for it (local mode restarts its own if it died)');
      unreachableSince ??= Date.now();
    } else {
      if (unreachableSince !== undefined) view.note(`Redis answers again, after ${Math.round((Date.now() - unreachableSince) / 1000)} s`);
      status = answer;
      pending = undefined;
      unreachableSince = undefined;
    }
  }
}

/**
 * The progress view spends at most this share of its time reading the sweep: a read of a
 * 10,000-trial sweep costs about half a second of CPU, which at the default refresh of 1 s
 * would take a third of a core from training in local mode.
 */
const MAX_READ_SHARE = 0.1;

/** The wait before the next read: `refreshMs`, or longer when a read takes long. */
export function refreshDelayMs(refreshMs: number, lastReadMs: number): number {
  return Math.max(refreshMs, lastReadMs / MAX_READ_SHARE - lastReadMs);
}

/** Waits `ms`, less if the signal aborts; rejects at once if `failed` does. */
async function sleepUnlessAborted(ms: number, signal: AbortSignal, failed?: Promise<never>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
        onAbort = () => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
      }),
      ...(failed ? [failed] : []),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

function formatJsonLines(trials: readonly Trial[]): string {
  return trials.map((t) => `${JSON.stringify({ id: t.id, params: t.params, dataset: t.dataset })}\n`).join('');
}

function formatDryRun(spec: SweepSpec, trials: readonly Trial[]): string {
  const count = trials.length === 1 ? '1 trial' : `${trials.length} trials`;
  const { train_limit: train, test_limit: test } = spec.dataset;
  return [
    `Sweep ${sweepId(spec)}: ${count} (${spec.method} search), metric ${spec.metric.name} (${spec.metric.goal}),`
      + ` dataset ${train} train / ${test} test images`,
    ...earlyTerminationLines(spec),
    '',
    formatTrialTable(trials).trimEnd(),
    '',
    `${count} in sweep ${sweepId(spec)}. Dry run: nothing was enqueued.`,
    '',
  ].join('\n');
}

/** What early termination will do, for dry runs: the rule and the rungs of each epochs setting. */
function earlyTerminationLines(spec: SweepSpec): string[] {
  const et = spec.early_terminate;
  if (!et) return [];
  const epochsDomain = spec.parameters.epochs;
  const epochs = epochsDomain.kind === 'values' ? [...new Set(epochsDomain.values)].sort((a, b) => a - b) : [epochsDomain.max];
  const rule = et.type === 'asha'
    ? et.strict
      ? `asha (strict): at each rung the best floor(n/${et.reduction_factor}) of the n trials recorded there go on, none before ${et.reduction_factor} have arrived`
      : `asha: at each rung a trial goes on if it is in the top 1/${et.reduction_factor} of the trials recorded there`
    : `hyperband: at each band a trial goes on if it ranks in the top 1/${et.eta} (${et.strict ? 'strict' : 'W&B\'s lenient rule'})`;
  const cut = et.mode === 'pause'
    ? 'a trial cut at a rung is paused with its checkpoint and promoted once it ranks there'
    : 'a trial cut at a rung stops there, with its result';
  return [
    `Early termination: ${rule}; ${cut}.`,
    ...epochs.map((e) => `  trials of ${e} epochs: rungs at ${describeRungs(et, e)}`),
  ];
}

/** An adaptive sweep's dry run: its trials are not known yet, so say how they will be chosen. */
function formatAdaptiveDryRun(spec: SweepSpec): string {
  const sampler = spec.method === 'bayes'
    ? 'a Gaussian process (Matern 3/2) with expected improvement over 1,000 candidates, after random search\'s first trials of this sweep and search_seed until a result comes; running trials count at the predicted mean'
    : 'Optuna\'s TPE: 10 random trials (those random search of this sweep and search_seed starts with), then the best of 24 candidates by l(x)/g(x); running trials count as bad (constant liar)';
  const space = PARAM_NAMES.flatMap((name) => {
    const d = spec.parameters[name];
    if (d.kind === 'distribution') return [`  ${name}: ${d.distribution} from ${d.min} to ${d.max}${d.distribution === 'q_uniform' ? ` in steps of ${d.q}` : ''}`];
    const values = [...new Set(d.values.map((v) => JSON.stringify(v)))];
    return [`  ${name}: ${values.length === 1 ? values[0] : `one of ${values.join(', ')}`}`];
  });
  const { train_limit: train, test_limit: test } = spec.dataset;
  return [
    `Sweep ${sweepId(spec)}: ${spec.method} search, up to ${spec.run_cap} trials (run_cap), metric ${spec.metric.name} (${spec.metric.goal}),`
      + ` dataset ${train} train / ${test} test images, search_seed ${spec.search_seed ?? 0}`,
    `Each trial is suggested when a worker is free to train it, from ${sampler}. No two trials share a configuration.`,
    ...earlyTerminationLines(spec),
    '',
    'Search space:',
    ...space,
    '',
    `Dry run: nothing was enqueued; the trials are chosen as results come in.`,
    '',
  ].join('\n');
}
