import { TRIAL_STATES } from '../sweep-state.js';
import { escapeHtml as e } from './escape-html.js';
import type { ReportCharts } from './report-charts.js';
import type { ReportData, ReportTrial } from './report-data.js';

/**
 * The report page: one HTML file with its styles inline, charts as inline SVG and pictures as
 * data: URIs. Its Content-Security-Policy forbids every request, so it cannot reach a network
 * even by mistake. Every piece of text from the store goes through escapeHtml.
 */

const CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

const STYLE = `
:root { color-scheme: light; --ink: #1d2330; --muted: #5d6679; --line: #dde1e8; --best: #fff6d6; --accent: #4e79a7; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #f6f7f9; }
main { max-width: 1280px; margin: 0 auto; padding: 24px 28px 40px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 10px; }
h3 { font-size: 14px; margin: 0 0 8px; }
p { margin: 4px 0; }
.muted { color: var(--muted); }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; }
.counts span { display: inline-block; margin-right: 10px; }
table { border-collapse: collapse; width: 100%; background: #fff; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th { background: #eef1f5; font-weight: 600; position: sticky; top: 0; }
td.l, th.l { text-align: left; }
tr.best td { background: var(--best); font-weight: 600; }
.star { color: #c58b00; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
a { color: var(--accent); }
.state { border-radius: 10px; padding: 1px 8px; font-size: 12px; background: #eceff3; }
.state-done { background: #dcefdc; }
.state-stopped, .state-paused { background: #f5ecd4; }
.state-failed, .state-cancelled { background: #f7dada; }
.state-running { background: #dde8f7; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 16px; }
.charts figure { margin: 0; overflow-x: auto; }
.charts svg { max-width: 100%; height: auto; }
.samples { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 16px; }
.samples figure { margin: 0; }
.samples img { display: block; width: 100%; height: auto; image-rendering: pixelated; border: 1px solid var(--line); }
.samples .none { padding: 24px; text-align: center; color: var(--muted); border: 1px dashed var(--line); }
figcaption { margin-top: 8px; }
.pic { display: flex; gap: 6px; align-items: stretch; }
.pic img { flex: 1; min-width: 0; }
.rows { display: flex; flex-direction: column; justify-content: space-around; font-size: 11px; color: var(--muted); text-align: right; width: 52px; }
ul.warnings { color: #8a5a00; }
`;

const fixed = (v: number | null, digits: number) => (v === null || Number.isNaN(v) ? '–' : v.toFixed(digits));

function resultsTable(data: ReportData): string {
  const header = ['', 'rank', 'trial', 'state', 'noise', 'filters', 'epochs', 'batch', 'lr', 'seed', 'val_loss', 'PSNR (dB)', 'SSIM', 'noisy PSNR (dB)'];
  const left = new Set(['', 'trial', 'state', 'filters']);
  const rows = data.trials.map(({ row: r }) => {
    const cells = [
      r.best ? `<span class="star" title="best by ${e(data.metric.name)}" aria-label="best">★</span>` : '',
      r.rank === null ? '–' : String(r.rank),
      `<a href="#trial-${e(r.trial)}"><code>${e(r.trial)}</code></a>`,
      `<span class="state state-${e(r.state)}"${r.failed_reason ? ` title="${e(r.failed_reason)}"` : ''}>${e(r.state)}</span>`,
      e(r.noise_factor), e(r.filters.join(',')), `${e(r.epochs_completed)}/${e(r.epochs)}`, e(r.batch_size), e(r.learning_rate), e(r.seed),
      fixed(r.val_loss, 5), fixed(r.psnr, 2), fixed(r.ssim, 4), fixed(r.noisy_psnr, 2),
    ];
    const tds = cells.map((c, i) => `<td${left.has(header[i] ?? '') ? ' class="l"' : ''}>${c}</td>`).join('');
    return `<tr class="${r.best ? 'best' : ''}" data-trial="${e(r.trial)}">${tds}</tr>`;
  });
  const ths = header.map((h) => `<th${left.has(h) ? ' class="l"' : ''} scope="col">${e(h)}</th>`).join('');
  return `<table id="results-table"><thead><tr>${ths}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function chart(id: string, title: string, note: string, svg: string | null, empty: string): string {
  return `<figure class="card" id="${e(id)}"><h3>${e(title)}</h3><p class="muted">${e(note)}</p>${svg ?? `<p class="muted">${e(empty)}</p>`}</figure>`;
}

function sampleCard(t: ReportTrial, metric: string): string {
  const r = t.row;
  const picture = t.samples
    ? `<div class="pic"><div class="rows" aria-hidden="true"><span>noisy</span><span>denoised</span><span>clean</span></div>`
      + `<img src="${e(t.samples)}" alt="${e(`noisy, denoised and clean test images of trial ${r.trial}`)}"></div>`
    : `<div class="none">no picture: the trial is ${e(r.state)}</div>`;
  const scores = r.psnr === null ? '' : ` · PSNR ${fixed(r.psnr, 2)} dB (noisy ${fixed(r.noisy_psnr, 2)}) · SSIM ${fixed(r.ssim, 4)}`;
  return `<figure class="card" id="trial-${e(r.trial)}">${picture}<figcaption>`
    + `${r.best ? `<span class="star" title="best by ${e(metric)}">★</span> ` : ''}<strong>${e(t.label)}</strong><br>`
    + `<code>${e(r.trial)}</code><span class="muted">${e(scores)}</span></figcaption></figure>`;
}

export function renderReportHtml(data: ReportData, charts: ReportCharts): string {
  const counts = TRIAL_STATES.filter((s) => data.counts[s] > 0).map((s) => `<span>${e(s)} <strong>${e(data.counts[s])}</strong></span>`).join('');
  const best = data.trials.find((t) => t.row.best);
  const warnings = data.warnings.length
    ? `<h2>Warnings</h2><ul class="warnings">${data.warnings.map((w) => `<li>${e(w)}</li>`).join('')}</ul>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${e(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(`Sweep ${data.name}: report`)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<header>
<h1>Sweep ${e(data.name)}</h1>
${data.description ? `<p>${e(data.description)}</p>` : ''}
<p class="muted">id <code>${e(data.sweep)}</code> · ${e(data.trials.length)} trials · sorted by ${e(data.metric.name)} (${e(data.metric.goal)}) · generated ${e(data.generatedAt)}</p>
<p class="counts">${counts}</p>
${best ? `<p>Best: <a href="#trial-${e(best.row.trial)}"><strong>${e(best.label)}</strong></a> <code>${e(best.row.trial)}</code>, ${e(data.metric.name)} ${e(fixed(best.row[data.metric.name], data.metric.name === 'val_loss' ? 5 : 4))}</p>` : '<p class="muted">No trial has finished yet.</p>'}
</header>
<h2>Results</h2>
${resultsTable(data)}
<h2>Charts</h2>
<div class="charts">
${chart('chart-val-loss', 'Validation loss per epoch', 'One line per trial (thick: the best); from each trial\'s metrics.jsonl.', charts.valLoss, 'No trial has finished an epoch yet.')}
${chart('chart-psnr-noise', 'Final PSNR against noise factor', 'Points: finished trials; lines: mean per filter set; dashed: PSNR of the noisy input, the baseline to beat.', charts.psnrByNoise, 'No trial has finished yet.')}
</div>
<h2>Samples</h2>
<p class="muted">Each picture shows test images in three rows: <strong>noisy</strong> input (top), the model's <strong>denoised</strong> output (middle), the <strong>clean</strong> original (bottom).</p>
<div class="samples">
${data.trials.map((t) => sampleCard(t, data.metric.name)).join('\n')}
</div>
${warnings}
</main>
</body>
</html>
`;
}
