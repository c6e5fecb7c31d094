/**
 * Results: what the sweep found. The per-trial result gauges of `orchestrator serve` carry
 * the sweep, the trial and its hyperparameters as labels, so one instant query per metric
 * gives a table row per trial; the merge transformation joins them on those labels.
 */
import type { Dashboard } from '@grafana/schema';
import { DashboardCursorSync } from '@grafana/schema';
import { EXPORTER_METRICS as E, TRIAL_RESULT_LABELS, WORKER_METRICS as W } from '@denoise-sweep/shared';
import { barchart, DATASOURCE_VARIABLE, numbered, stat, SWEEP_VARIABLE, table, timeseries } from './panels.js';

const SWEEP = 'sweep=~"$sweep"';
const BY_TRIAL = `max by (${TRIAL_RESULT_LABELS.join(', ')})`;
const HIDDEN = { Time: true, __name__: true, job: true, instance: true };

/** The table's columns, in order: hyperparameters, then final metrics. */
const RESULT_COLUMNS = [
  { refId: 'A', metric: E.trialValLoss, column: 'val_loss' },
  { refId: 'B', metric: E.trialPsnr, column: 'psnr_db' },
  { refId: 'C', metric: E.trialSsim, column: 'ssim' },
  { refId: 'D', metric: E.trialNoisyPsnr, column: 'noisy_psnr_db' },
  { refId: 'E', metric: E.trialEpochsCompleted, column: 'epochs_completed' },
] as const;

export const resultsDashboard = {
  uid: 'denoise-sweep-results',
  title: 'denoise-sweep / Results',
  description: 'Final metrics of every trial of a sweep, PSNR against noise per filter set, the best trial.',
  tags: ['denoise-sweep'],
  editable: true,
  graphTooltip: DashboardCursorSync.Crosshair,
  refresh: '1m',
  schemaVersion: 39,
  time: { from: 'now-24h', to: 'now' },
  timezone: 'browser',
  templating: { list: [DATASOURCE_VARIABLE, SWEEP_VARIABLE] },
  annotations: { list: [] },
  panels: numbered([
    stat({ title: 'Trials done', gridPos: { x: 0, y: 0, w: 6, h: 4 }, decimals: 0,
      queries: [{ expr: `sum(${E.sweepTrials}{${SWEEP}, state="done"})`, instant: true }] }),
    stat({ title: 'Trials planned', gridPos: { x: 6, y: 0, w: 6, h: 4 }, decimals: 0,
      queries: [{ expr: `sum(${E.sweepTrialsPlanned}{${SWEEP}})`, instant: true }] }),
    stat({ title: 'Best val loss (MSE)', gridPos: { x: 12, y: 0, w: 6, h: 4 }, decimals: 5,
      queries: [{ expr: `min(${E.trialValLoss}{${SWEEP}})`, instant: true }] }),
    stat({ title: 'Best PSNR', gridPos: { x: 18, y: 0, w: 6, h: 4 }, unit: 'dB', decimals: 2,
      queries: [{ expr: `max(${E.trialPsnr}{${SWEEP}})`, instant: true }] }),

    table({ title: 'Best trial (lowest val loss)', gridPos: { x: 0, y: 4, w: 24, h: 4 },
      queries: [{ expr: `bottomk(1, ${BY_TRIAL} (${E.trialValLoss}{${SWEEP}}))`, table: true }],
      transformations: [{ id: 'organize', options: { excludeByName: HIDDEN, renameByName: { Value: 'val_loss' } } }] }),

    table({ title: 'Trials', gridPos: { x: 0, y: 8, w: 24, h: 10 },
      description: 'One row per finished trial: its hyperparameters and final metrics, best val loss first.',
      queries: RESULT_COLUMNS.map((c) => ({ expr: `${BY_TRIAL} (${c.metric}{${SWEEP}})`, table: true })),
      sortBy: { displayName: 'val_loss', desc: false },
      transformations: [
        { id: 'merge', options: {} },
        { id: 'organize', options: {
          excludeByName: HIDDEN,
          renameByName: Object.fromEntries(RESULT_COLUMNS.map((c) => [`Value #${c.refId}`, c.column])),
          // organize orders by the names before renaming
          indexByName: Object.fromEntries([...TRIAL_RESULT_LABELS, ...RESULT_COLUMNS.map((c) => `Value #${c.refId}`)].map((name, i) => [name, i])),
        } },
      ] }),

    barchart({ title: 'PSNR against noise factor, per filter set', gridPos: { x: 0, y: 18, w: 12, h: 9 }, unit: 'dB',
      description: 'Best final PSNR for each noise factor (x) and encoder filter set (one bar each), over the selected sweeps.',
      xField: 'noise_factor\\filters',
      queries: [{ expr: `max by (noise_factor, filters) (${E.trialPsnr}{${SWEEP}})`, table: true }],
      transformations: [
        { id: 'groupingToMatrix', options: { rowField: 'noise_factor', columnField: 'filters', valueField: 'Value' } },
        { id: 'sortBy', options: { sort: [{ field: 'noise_factor\\filters' }] } },
      ] }),

    timeseries({ title: 'Val loss per trial over time', gridPos: { x: 12, y: 18, w: 12, h: 9 },
      description: 'Live: the validation loss of the trial each worker slot trains, after every epoch. Final: each finished trial\'s val loss, from when it finished.',
      queries: [
        { expr: W.lastValLoss, legend: 'live {{instance}} slot {{slot}} {{trial}}' },
        { expr: `${BY_TRIAL} (${E.trialValLoss}{${SWEEP}})`, legend: 'final {{trial}} noise {{noise_factor}} filters {{filters}}' },
      ] }),

    stat({ title: 'Trials stopped early', gridPos: { x: 0, y: 27, w: 6, h: 4 }, decimals: 0,
      description: 'Cut at a rung by early termination in stop mode: done, with the metrics of the epoch they reached.',
      queries: [{ expr: `sum(${E.sweepTrials}{${SWEEP}, state="stopped"})`, instant: true }] }),
    stat({ title: 'Trials paused', gridPos: { x: 0, y: 31, w: 6, h: 4 }, decimals: 0,
      description: 'Cut at a rung in pause mode: checkpoint kept, resumed if promoted.',
      queries: [{ expr: `sum(${E.sweepTrials}{${SWEEP}, state="paused"})`, instant: true }] }),
    timeseries({ title: 'Early-termination decisions', gridPos: { x: 6, y: 27, w: 9, h: 8 },
      description: 'Rung decisions per minute, all workers: continue, paused, stopped, promoted (decided) and promoted-resumed (a paused trial put back in the queue).',
      queries: [{ expr: `sum by (decision) (rate(${W.rungDecisions}[5m])) * 60`, legend: '{{decision}}' }] }),
    timeseries({ title: 'Suggestions', gridPos: { x: 15, y: 27, w: 9, h: 8 },
      description: 'Trials suggested per minute by the adaptive samplers, all workers.',
      queries: [{ expr: `sum by (method) (rate(${W.suggestions}[5m])) * 60`, legend: '{{method}}' }] }),
  ]),
} satisfies Dashboard;
