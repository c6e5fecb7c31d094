import { hostname } from 'node:os';
import type { ArtifactKeys, ObjectStore, QueueJobData, SweepMetric, TrialResult } from '@denoise-sweep/shared';
import { EXPORTER_METRICS as M, TRIAL_RESULT_LABELS, readJson } from '@denoise-sweep/shared';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Gauge, Histogram, Registry, collectDefaultMetrics, exponentialBuckets } from 'prom-client';
import { jobStates } from './job-states.js';
import { sweepFraction } from './sweep-state.js';
import { recentSweeps } from './sweep-index.js';
import type { SweepRecord } from './sweep-record.js';
import { readSweepStatus, TRIAL_STATES, type TrialStatus } from './sweep-state.js';

export interface SweepExporterOptions {
  store: ObjectStore;
  keys: ArtifactKeys;
  queue: Queue<QueueJobData>;
  redis: Redis;
  version: string;
  /** Sweeps run within this many hours are exported. @defaultValue 24 */
  recentHours?: number;
  /** Always export these sweeps, recent or not. */
  sweeps?: string[];
  /** Scrapes within this many ms reuse the last collection. @defaultValue 5000 */
  minRefreshMs?: number;
  /** Per sweep, the finished trials exported as series: the best N by the sweep's metric. @defaultValue 1000 */
  trialSeries?: number;
}

/**
 * The finished trials of a sweep whose results become series: the best `limit` by the sweep's
 * metric (values that are not numbers last; ties in trial order), so that a sweep of a million
 * trials does not become millions of series.
 */
export function trialsToExport(trials: readonly TrialStatus[], metric: SweepMetric, limit: number): TrialStatus[] {
  const sign = metric.goal === 'minimize' ? 1 : -1;
  const value = (t: TrialStatus) => t.result!.final[metric.name];
  return trials
    .filter((t) => t.result !== undefined)
    .sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      if (!Number.isFinite(va) || !Number.isFinite(vb)) return Number.isFinite(va) ? -1 : Number.isFinite(vb) ? 1 : 0;
      return sign * (va - vb);
    })
    .slice(0, limit);
}

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized', 'waiting-children'] as const;

/**
 * `orchestrator serve`: the queue's job counts, each recent sweep's trials by state and its
 * progress, and every finished trial's final metrics as gauges labelled with its
 * hyperparameters, so that a Grafana table can show the whole sweep. Results are immutable
 * once written, so they are read from the store once and cached.
 */
export class SweepExporter {
  readonly registry = new Registry();
  private lastRefresh = 0;
  /** Finished trials' results by sweep/trial: result.json never changes once written. */
  private readonly results = new Map<string, TrialResult>();
  private refreshing: Promise<void> | undefined;
  private readonly queueJobs = new Gauge({ name: M.queueJobs, help: 'Jobs in the training queue by state', labelNames: ['state'], registers: [this.registry] });
  private readonly sweepTrials = new Gauge({ name: M.sweepTrials, help: 'Trials of a sweep by state', labelNames: ['sweep', 'state'], registers: [this.registry] });
  private readonly sweepPlanned = new Gauge({ name: M.sweepTrialsPlanned, help: 'Trials in a sweep', labelNames: ['sweep'], registers: [this.registry] });
  private readonly sweepProgress = new Gauge({ name: M.sweepProgress, help: 'Fraction of a sweep\'s training done, 0..1', labelNames: ['sweep'], registers: [this.registry] });
  private readonly trialGauges = {
    valLoss: new Gauge({ name: M.trialValLoss, help: 'Final validation MSE of a finished trial', labelNames: TRIAL_RESULT_LABELS, registers: [this.registry] }),
    psnr: new Gauge({ name: M.trialPsnr, help: 'Final mean PSNR of a finished trial\'s denoised test images, dB', labelNames: TRIAL_RESULT_LABELS, registers: [this.registry] }),
    ssim: new Gauge({ name: M.trialSsim, help: 'Final mean SSIM of a finished trial\'s denoised test images', labelNames: TRIAL_RESULT_LABELS, registers: [this.registry] }),
    noisyPsnr: new Gauge({ name: M.trialNoisyPsnr, help: 'Mean PSNR of the noisy test images (the baseline), dB', labelNames: TRIAL_RESULT_LABELS, registers: [this.registry] }),
    epochs: new Gauge({ name: M.trialEpochsCompleted, help: 'Epochs a finished trial trained', labelNames: TRIAL_RESULT_LABELS, registers: [this.registry] }),
  };
  private readonly collectDuration = new Histogram({ name: M.scrapeDuration, help: 'Time to collect the sweep metrics', buckets: exponentialBuckets(0.005, 3, 10), registers: [this.registry] });

  constructor(private readonly options: SweepExporterOptions) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({ name: M.exporterInfo, help: 'Exporter build; always 1', labelNames: ['version', 'host'], registers: [this.registry] })
      .set({ version: options.version, host: hostname() }, 1);
  }

  private async sweepIds(): Promise<string[]> {
    const since = Date.now() - (this.options.recentHours ?? 24) * 3600_000;
    const recent = await recentSweeps(this.options.redis, since);
    return [...new Set([...(this.options.sweeps ?? []), ...recent])].sort();
  }

  /** Re-reads the queue and the sweeps; concurrent scrapes share one refresh. */
  async refresh(): Promise<void> {
    if (Date.now() - this.lastRefresh < (this.options.minRefreshMs ?? 5000)) return;
    this.refreshing ??= this.collect().finally(() => {
      this.lastRefresh = Date.now();
      this.refreshing = undefined;
    });
    await this.refreshing;
  }

  private async collect(): Promise<void> {
    const end = this.collectDuration.startTimer();
    const { store, keys, queue } = this.options;
    const counts = await queue.getJobCounts(...QUEUE_STATES);
    for (const state of QUEUE_STATES) this.queueJobs.set({ state }, counts[state] ?? 0);
    this.sweepTrials.reset();
    this.sweepPlanned.reset();
    this.sweepProgress.reset();
    for (const g of Object.values(this.trialGauges)) g.reset();
    // One read of every job's state serves all the sweeps.
    const states = await jobStates(this.options.redis, queue);
    for (const sweep of await this.sweepIds()) {
      const record = await readJson<SweepRecord>(store, keys.sweepJson(sweep));
      if (!record) continue;
      const status = await readSweepStatus(record, store, keys, queue, this.results, this.options.redis, states);
      for (const state of TRIAL_STATES) this.sweepTrials.set({ sweep, state }, status.counts[state]);
      this.sweepPlanned.set({ sweep }, status.trials.length);
      this.sweepProgress.set({ sweep }, sweepFraction(status));
      for (const t of trialsToExport(status.trials, record.metric, this.options.trialSeries ?? 1000)) {
        if (!t.result) continue;
        const p = t.result.params;
        const labels = {
          sweep,
          trial: t.id,
          noise_factor: String(p.noise_factor),
          filters: p.filters.join('-'),
          epochs: String(p.epochs),
          batch_size: String(p.batch_size),
          learning_rate: String(p.learning_rate),
          seed: String(p.seed),
        };
        const f = t.result.final;
        this.trialGauges.valLoss.set(labels, f.val_loss);
        this.trialGauges.psnr.set(labels, f.psnr);
        this.trialGauges.ssim.set(labels, f.ssim);
        this.trialGauges.noisyPsnr.set(labels, f.noisy_psnr);
        this.trialGauges.epochs.set(labels, t.result.epochs_completed);
      }
    }
    end();
  }

  async render(): Promise<{ contentType: string; body: string }> {
    await this.refresh();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
