/**
 * Operations: is the fleet working, how fast, what is stuck, what fails, what leaks.
 * Worker metrics come from every `worker --metrics-port`, queue and sweep metrics from
 * `orchestrator serve`; metric names are the ones in @denoise-sweep/shared.
 */
import type { Dashboard } from '@grafana/schema';
import { DashboardCursorSync } from '@grafana/schema';
import { EXPORTER_METRICS as E, WORKER_METRICS as W } from '@denoise-sweep/shared';
import { DATASOURCE_VARIABLE, numbered, row, stat, SWEEP_VARIABLE, table, timeseries } from './panels.js';

const WORKER_JOB = 'job="denoise-sweep-worker"';
const OUR_JOBS = 'job=~"denoise-sweep-.*"';
/** Epoch-level events (epochs, checkpoints) are minutes apart: a wider window than $__rate_interval. */
const EPOCH_WINDOW = '15m';

const quantiles = (metric: string, window: string, by = '') => [0.5, 0.95].map((q) => ({
  expr: `histogram_quantile(${q}, sum by (le${by}) (rate(${metric}_bucket[${window}])))`,
  legend: `p${q * 100}`,
}));

export const operationsDashboard = {
  uid: 'denoise-sweep-operations',
  title: 'denoise-sweep / Operations',
  description: 'Workers, queue, throughput, durations, failures and memory of denoise-sweep.',
  tags: ['denoise-sweep'],
  editable: true,
  graphTooltip: DashboardCursorSync.Crosshair,
  refresh: '30s',
  schemaVersion: 39,
  time: { from: 'now-3h', to: 'now' },
  timezone: 'browser',
  templating: { list: [DATASOURCE_VARIABLE, SWEEP_VARIABLE] },
  annotations: { list: [] },
  panels: numbered([
    row('Overview', 0),
    stat({ title: 'Workers up', gridPos: { x: 0, y: 1, w: 4, h: 4 }, queries: [{ expr: `sum(up{${WORKER_JOB}})`, instant: true }] }),
    stat({ title: 'Trials training now', gridPos: { x: 4, y: 1, w: 4, h: 4 }, queries: [{ expr: `sum(${W.activeTrials})`, instant: true }] }),
    stat({ title: 'Images/s, all workers', gridPos: { x: 8, y: 1, w: 4, h: 4 }, unit: 'short', graph: true,
      queries: [{ expr: `sum(rate(${W.imagesTrained}[$__rate_interval]))` }] }),
    stat({ title: 'Trials completed, last hour', gridPos: { x: 12, y: 1, w: 4, h: 4 }, decimals: 0,
      queries: [{ expr: `sum(increase(${W.trialsCompleted}[1h]))`, instant: true }] }),
    stat({ title: 'Jobs waiting', gridPos: { x: 16, y: 1, w: 4, h: 4 }, queries: [{ expr: `sum(${E.queueJobs}{state="waiting"})`, instant: true }] }),
    stat({ title: 'Sweep progress', gridPos: { x: 20, y: 1, w: 4, h: 4 }, unit: 'percentunit',
      queries: [{ expr: `${E.sweepProgress}{sweep=~"$sweep"}`, legend: '{{sweep}}', instant: true }] }),

    row('Throughput', 5),
    timeseries({ title: 'Images/s per worker and total', gridPos: { x: 0, y: 6, w: 12, h: 8 }, unit: 'short', min: 0,
      description: 'Training images per second from each worker\'s images-trained counter, their sum, and each worker\'s own figure over its last progress interval ("reported").',
      queries: [
        { expr: `sum by (instance) (rate(${W.imagesTrained}[$__rate_interval]))`, legend: '{{instance}}' },
        { expr: `sum(rate(${W.imagesTrained}[$__rate_interval]))`, legend: 'total' },
        { expr: `sum by (instance) (${W.imagesPerSecond})`, legend: 'reported {{instance}}' },
      ] }),
    timeseries({ title: 'Trials per hour', gridPos: { x: 12, y: 6, w: 12, h: 8 }, unit: 'short', min: 0,
      queries: [
        { expr: `sum(rate(${W.trialsStarted}[$__rate_interval])) * 3600`, legend: 'started' },
        { expr: `sum(rate(${W.trialsCompleted}[$__rate_interval])) * 3600`, legend: 'completed' },
        { expr: `sum by (reason) (rate(${W.trialsFailed}[$__rate_interval])) * 3600`, legend: 'failed ({{reason}})' },
      ] }),

    row('Queue and workers', 14),
    timeseries({ title: 'Queue jobs by state', gridPos: { x: 0, y: 15, w: 8, h: 8 }, stack: true, min: 0,
      queries: [{ expr: `sum by (state) (${E.queueJobs})`, legend: '{{state}}' }] }),
    timeseries({ title: 'Sweep trials by state', gridPos: { x: 8, y: 15, w: 8, h: 8 }, stack: true, min: 0,
      queries: [{ expr: `sum by (sweep, state) (${E.sweepTrials}{sweep=~"$sweep"})`, legend: '{{sweep}} {{state}}' }] }),
    timeseries({ title: 'Workers up and trials training', gridPos: { x: 16, y: 15, w: 8, h: 8 }, min: 0,
      queries: [
        { expr: `sum(up{${WORKER_JOB}})`, legend: 'workers up' },
        { expr: `sum(${W.activeTrials})`, legend: 'trials training' },
      ] }),
    table({ title: 'Workers', gridPos: { x: 0, y: 23, w: 12, h: 6 },
      description: 'One row per worker: its training engine (tensorflow-gpu, webgpu, tensorflow, cpu and which kernels), the GPU adapter of the webgpu engine, version and host.',
      queries: [{ expr: `max by (instance, engine, kernels, device, version, host) (${W.info})`, table: true }],
      transformations: [{ id: 'organize', options: { excludeByName: { Time: true, Value: true } } }] }),
    timeseries({ title: 'Trial progress per worker slot', gridPos: { x: 12, y: 23, w: 12, h: 6 }, unit: 'percentunit', min: 0,
      queries: [{ expr: W.trialProgress, legend: '{{instance}} slot {{slot}}' }] }),

    row('Training', 29),
    timeseries({ title: 'Optimizer step duration', gridPos: { x: 0, y: 30, w: 8, h: 8 }, unit: 's', min: 0,
      queries: quantiles(W.batchDuration, '$__rate_interval') }),
    timeseries({ title: 'Epoch duration', gridPos: { x: 8, y: 30, w: 8, h: 8 }, unit: 's', min: 0,
      description: `Training time of one epoch, evaluation excluded; quantiles over ${EPOCH_WINDOW}.`,
      queries: quantiles(W.epochDuration, EPOCH_WINDOW) }),
    timeseries({ title: 'Loss of the trials in progress', gridPos: { x: 16, y: 30, w: 8, h: 8 },
      queries: [
        { expr: W.lastTrainLoss, legend: 'train {{instance}} slot {{slot}}' },
        { expr: W.lastValLoss, legend: 'val {{instance}} slot {{slot}}' },
      ] }),

    row('Checkpoints and failures', 38),
    timeseries({ title: 'Checkpoint upload duration', gridPos: { x: 0, y: 39, w: 8, h: 8 }, unit: 's', min: 0,
      description: `Quantiles over ${EPOCH_WINDOW}: one upload per epoch and trial.`,
      queries: quantiles(W.checkpointUploadDuration, EPOCH_WINDOW) }),
    timeseries({ title: 'Checkpoint upload throughput', gridPos: { x: 8, y: 39, w: 8, h: 8 }, unit: 'Bps', min: 0,
      queries: [{ expr: `sum by (instance) (rate(${W.checkpointUploadBytes}[$__rate_interval]))`, legend: '{{instance}}' }] }),
    timeseries({ title: 'Failures and interruptions, last hour', gridPos: { x: 16, y: 39, w: 8, h: 8 }, min: 0, decimals: 0,
      queries: [
        { expr: `sum by (reason) (increase(${W.trialsFailed}[1h]))`, legend: 'trials failed ({{reason}})' },
        { expr: `sum(increase(${W.checkpointUploadFailures}[1h]))`, legend: 'checkpoint uploads failed' },
        { expr: `sum by (reason) (increase(${W.trialsStopped}[1h]))`, legend: 'trials stopped ({{reason}})' },
        { expr: `sum(increase(${W.trialsResumed}[1h]))`, legend: 'trials resumed' },
      ] }),

    row('Memory and CPU', 47),
    timeseries({ title: 'tfjs live tensors after each trial', gridPos: { x: 0, y: 48, w: 6, h: 8 }, min: 0,
      description: 'Reported by the training child after each trial: it should come back to the same baseline. A steady climb is a leak (alert DenoiseSweepTensorLeak).',
      queries: [{ expr: W.tfjsTensors, legend: '{{instance}} slot {{slot}}' }] }),
    timeseries({ title: 'tfjs bytes after each trial', gridPos: { x: 6, y: 48, w: 6, h: 8 }, unit: 'bytes', min: 0,
      queries: [{ expr: W.tfjsBytes, legend: '{{instance}} slot {{slot}}' }] }),
    timeseries({ title: 'Process memory', gridPos: { x: 12, y: 48, w: 6, h: 8 }, unit: 'bytes', min: 0,
      queries: [
        { expr: `process_resident_memory_bytes{${OUR_JOBS}}`, legend: 'rss {{job}} {{instance}}' },
        { expr: `nodejs_heap_size_used_bytes{${OUR_JOBS}}`, legend: 'heap {{job}} {{instance}}' },
      ] }),
    timeseries({ title: 'Process CPU and exporter collect time', gridPos: { x: 18, y: 48, w: 6, h: 8 }, min: 0,
      queries: [
        { expr: `rate(process_cpu_seconds_total{${OUR_JOBS}}[$__rate_interval])`, legend: 'cpu cores {{job}} {{instance}}' },
        { expr: `histogram_quantile(0.95, sum by (le) (rate(${E.scrapeDuration}_bucket[$__rate_interval])))`, legend: 'exporter collect p95 (s)' },
      ] }),
  ]),
} satisfies Dashboard;
