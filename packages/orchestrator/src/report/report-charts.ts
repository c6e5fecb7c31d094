import { parse, View } from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { compile } from 'vega-lite';
import type { ReportData } from './report-data.js';

/**
 * The report's charts, drawn as SVG here in Node by Vega (no canvas, no browser): the file
 * then holds finished pictures and needs no script and no network to show them.
 */
export interface ReportCharts {
  /** Validation loss per epoch, one line per trial; null when no trial has finished an epoch. */
  valLoss: string | null;
  /** Final PSNR against noise factor, one series per filter set; null when no trial is done. */
  psnrByNoise: string | null;
}

/** Tableau 10, then 10 more: distinct enough for the few series a sweep has. */
const PALETTE = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac',
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf',
];
const BASELINE_SERIES = 'noisy input';
const BASELINE_COLOR = '#888888';

const CONFIG: TopLevelSpec['config'] = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320, orient: 'bottom', columns: 2, columnPadding: 24 },
  view: { stroke: null },
};

const palette = (n: number) => Array.from({ length: n }, (_, i) => PALETTE[i % PALETTE.length]!);

/** Renders a Vega-Lite spec to an SVG document string. */
async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function valLossSpec(data: ReportData): TopLevelSpec | null {
  const withCurves = data.trials.filter((t) => t.curve.length > 0);
  if (withCurves.length === 0) return null;
  const values = withCurves.flatMap((t) => t.curve.map((p) => ({ trial: t.label, best: t.row.best, epoch: p.epoch, val_loss: p.val_loss })));
  const maxEpoch = Math.max(...values.map((v) => v.epoch));
  const x = { field: 'epoch', type: 'quantitative' as const, title: 'epoch', scale: { domain: [1, Math.max(2, maxEpoch)], nice: false }, axis: { tickMinStep: 1, format: 'd' } };
  const y = { field: 'val_loss', type: 'quantitative' as const, title: 'validation loss (MSE)', scale: { zero: false }, axis: { format: '.4~f' } };
  const color = {
    field: 'trial', type: 'nominal' as const, title: 'trial (best first)',
    sort: withCurves.map((t) => t.label),
    scale: { range: palette(withCurves.length) },
  };
  // Where early termination cut a trial: a cross on its curve at the rung, "stopped" or "paused".
  const cuts = withCurves.flatMap((t) => {
    const point = t.cut ? t.curve.find((p) => p.epoch === t.cut?.epoch) : undefined;
    return point && t.cut ? [{ trial: t.label, epoch: point.epoch, val_loss: point.val_loss, cut: `${t.cut.how} at epoch ${t.cut.epoch}` }] : [];
  });
  const lines = {
    data: { values },
    mark: { type: 'line' as const, point: { filled: true, size: 40 }, interpolate: 'monotone' as const },
    encoding: { x, y, color, strokeWidth: { condition: { test: 'datum.best', value: 3.5 }, value: 1.5 } },
  };
  const crosses = {
    data: { values: cuts },
    mark: { type: 'point' as const, shape: 'cross', size: 160, filled: true, strokeWidth: 1 },
    encoding: { x, y, color, tooltip: [{ field: 'trial' }, { field: 'cut', title: 'early termination' }] },
  };
  return { width: 480, height: 300, config: CONFIG, layer: cuts.length > 0 ? [lines, crosses] : [lines] };
}

function psnrByNoiseSpec(data: ReportData): TopLevelSpec | null {
  const done = data.trials.filter((t) => t.row.psnr !== null);
  if (done.length === 0) return null;
  const filterSets = [...new Set(done.map((t) => t.row.filters.join(',')))]
    .sort((a, b) => a.split(',').length - b.split(',').length || a.localeCompare(b, 'en', { numeric: true }));
  const trialPoints = done.map((t) => ({ noise_factor: t.row.noise_factor, psnr: t.row.psnr, series: t.row.filters.join(','), kind: 'trial', trial: t.label }));
  const baseline = done
    .filter((t) => t.row.noisy_psnr !== null)
    .map((t) => ({ noise_factor: t.row.noise_factor, psnr: t.row.noisy_psnr, series: BASELINE_SERIES, kind: 'baseline', trial: t.label }));
  const color = {
    field: 'series', type: 'nominal', title: 'filters',
    scale: { domain: [...filterSets, BASELINE_SERIES], range: [...palette(filterSets.length), BASELINE_COLOR] },
  } as const;
  return {
    width: 480,
    height: 300,
    config: CONFIG,
    data: { values: [...trialPoints, ...baseline] },
    encoding: {
      x: { field: 'noise_factor', type: 'quantitative', title: 'noise factor', scale: { zero: false, padding: 16 } },
    },
    layer: [
      {
        // Mean per filter set and noise level: several trials (seeds, learning rates) can share both.
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          y: { aggregate: 'mean', field: 'psnr', type: 'quantitative', title: 'final PSNR (dB)', scale: { zero: false } },
          color,
          strokeDash: { field: 'kind', type: 'nominal', legend: null, scale: { domain: ['trial', 'baseline'], range: [[1, 0], [5, 4]] } },
        },
      },
      {
        transform: [{ filter: "datum.kind === 'trial'" }],
        mark: { type: 'point', filled: true, size: 70, opacity: 0.9 },
        encoding: {
          y: { field: 'psnr', type: 'quantitative' },
          color,
        },
      },
    ],
  };
}

/** Both charts as SVG; none needs a browser to draw. */
export async function renderReportCharts(data: ReportData): Promise<ReportCharts> {
  const valLoss = valLossSpec(data);
  const psnr = psnrByNoiseSpec(data);
  return {
    valLoss: valLoss ? await renderSvg(valLoss) : null,
    psnrByNoise: psnr ? await renderSvg(psnr) : null,
  };
}
