/**
 * Small typed builders for the dashboards: every panel is a `Panel` of @grafana/schema with
 * the options type of its plugin, so a wrong option name or value fails `tsc`, and every query
 * is a Prometheus target whose `expr` the observability test runs against a real Prometheus.
 */
import type { DataQuery, DataSourceRef, DataTransformerConfig, FieldConfigSource, GridPos, Panel, RowPanel, VariableModel } from '@grafana/schema';
import {
  BigValueColorMode, BigValueGraphMode, BigValueJustifyMode, BigValueTextMode, LegendDisplayMode, PercentChangeColorMode,
  SortOrder, StackingMode, TooltipDisplayMode, VariableHide, VariableRefresh, VariableSort, VisibilityMode, VizOrientation,
} from '@grafana/schema';
import type { Options as BarChartOptions } from '@grafana/schema/dist/esm/raw/composable/barchart/panelcfg/x/BarChartPanelCfg_types.gen';
import type { Options as StatOptions } from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import type { Options as TableOptions } from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen';
import type { FieldConfig as TimeSeriesFieldConfig, Options as TimeSeriesOptions } from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';

/** The Prometheus datasource, chosen by the dashboard's `datasource` variable. */
const DATASOURCE: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

/** A Prometheus query target (the Prometheus datasource's query model). */
type PromQuery = DataQuery & {
  expr: string;
  legendFormat?: string;
  /** `table` for table panels: one row per series, labels as columns. */
  format?: 'time_series' | 'table';
  /** Only the value at the end of the range (tables, stats, bar charts). */
  instant?: boolean;
  range?: boolean;
};

/** Options of one query; the builders assign refIds A, B, C... */
interface QuerySpec {
  expr: string;
  legend?: string;
  /** Instant query formatted as a table (one row per series). */
  table?: boolean;
  /** Instant query (stats). */
  instant?: boolean;
}

function toTargets(queries: QuerySpec[]): PromQuery[] {
  return queries.map((q, i) => ({
    refId: String.fromCharCode(65 + i),
    datasource: DATASOURCE,
    expr: q.expr,
    ...(q.legend === undefined ? {} : { legendFormat: q.legend }),
    ...(q.table ? { format: 'table' as const, instant: true, range: false } : {}),
    ...(q.instant && !q.table ? { instant: true, range: false } : {}),
  }));
}

/** Common options of every panel builder. */
export interface PanelSpec {
  title: string;
  description?: string;
  gridPos: GridPos;
  queries: QuerySpec[];
  /** Grafana unit id: 'short', 's', 'bytes', 'percentunit', 'dB', ... */
  unit?: string;
  decimals?: number;
  transformations?: DataTransformerConfig[];
  /** Per-field overrides (column names, units of single columns). */
  overrides?: FieldConfigSource['overrides'];
}

function base(spec: PanelSpec, type: string): Panel {
  return {
    type,
    title: spec.title,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    gridPos: spec.gridPos,
    datasource: DATASOURCE,
    // Spread: the schema types targets as plain records, which an interface is not.
    targets: toTargets(spec.queries).map((t) => ({ ...t })),
    ...(spec.transformations === undefined ? {} : { transformations: spec.transformations }),
    fieldConfig: {
      defaults: { ...(spec.unit === undefined ? {} : { unit: spec.unit }), ...(spec.decimals === undefined ? {} : { decimals: spec.decimals }) },
      overrides: spec.overrides ?? [],
    },
  };
}

export function timeseries(spec: PanelSpec & { stack?: boolean; min?: number }): Panel {
  const options: TimeSeriesOptions = {
    legend: { showLegend: true, displayMode: LegendDisplayMode.List, placement: 'bottom', calcs: [] },
    tooltip: { mode: TooltipDisplayMode.Multi, sort: SortOrder.Descending },
  };
  const custom: TimeSeriesFieldConfig = {
    fillOpacity: spec.stack ? 30 : 10,
    ...(spec.stack ? { stacking: { mode: StackingMode.Normal, group: 'A' } } : {}),
  };
  const panel = base(spec, 'timeseries');
  return {
    ...panel,
    options: { ...options },
    fieldConfig: {
      defaults: { ...panel.fieldConfig?.defaults, ...(spec.min === undefined ? {} : { min: spec.min }), custom: { ...custom } },
      overrides: panel.fieldConfig?.overrides ?? [],
    },
  };
}

export function stat(spec: PanelSpec & { graph?: boolean }): Panel {
  const options: StatOptions = {
    reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
    orientation: VizOrientation.Auto,
    colorMode: BigValueColorMode.Value,
    graphMode: spec.graph ? BigValueGraphMode.Area : BigValueGraphMode.None,
    justifyMode: BigValueJustifyMode.Auto,
    textMode: BigValueTextMode.Auto,
    percentChangeColorMode: PercentChangeColorMode.Standard,
    showPercentChange: false,
    wideLayout: true,
  };
  return { ...base(spec, 'stat'), options: { ...options } };
}

export function table(spec: PanelSpec & { sortBy?: { displayName: string; desc: boolean } }): Panel {
  const options: TableOptions = {
    showHeader: true,
    frameIndex: 0,
    ...(spec.sortBy ? { sortBy: [spec.sortBy] } : {}),
  };
  return { ...base(spec, 'table'), options: { ...options } };
}

export function barchart(spec: PanelSpec & { xField: string }): Panel {
  const options: BarChartOptions = {
    xField: spec.xField,
    orientation: VizOrientation.Vertical,
    showValue: VisibilityMode.Auto,
    stacking: StackingMode.None,
    barWidth: 0.9,
    groupWidth: 0.7,
    fullHighlight: false,
    xTickLabelMaxLength: 0,
    xTickLabelRotation: 0,
    legend: { showLegend: true, displayMode: LegendDisplayMode.List, placement: 'bottom', calcs: [] },
    tooltip: { mode: TooltipDisplayMode.Multi, sort: SortOrder.None },
  };
  return { ...base(spec, 'barchart'), options: { ...options } };
}

export function row(title: string, y: number): RowPanel {
  return { type: 'row', title, collapsed: false, id: 0, panels: [], gridPos: { x: 0, y, w: 24, h: 1 } };
}

/** Gives every panel a unique id, in order. */
export function numbered(panels: (Panel | RowPanel)[]): (Panel | RowPanel)[] {
  return panels.map((p, i) => ({ ...p, id: i + 1 }));
}

/** The datasource picker: any Prometheus, the provisioned one by default. */
export const DATASOURCE_VARIABLE: VariableModel = {
  name: 'datasource',
  label: 'Prometheus',
  type: 'datasource',
  query: 'prometheus',
  current: { text: 'Prometheus', value: 'prometheus' },
  hide: VariableHide.dontHide,
};

/** The sweep picker: every sweep the exporter reports; several or all at once. */
export const SWEEP_VARIABLE: VariableModel = {
  name: 'sweep',
  label: 'Sweep',
  type: 'query',
  datasource: DATASOURCE,
  query: { query: 'label_values(denoise_sweep_sweep_trials, sweep)', refId: 'PrometheusVariableQueryEditor-VariableQuery' },
  refresh: VariableRefresh.onTimeRangeChanged,
  sort: VariableSort.alphabeticalAsc,
  multi: true,
  includeAll: true,
  allValue: '.*',
  current: { text: 'All', value: '$__all' },
  hide: VariableHide.dontHide,
};

/** Every Prometheus expression of a dashboard, with the panel it belongs to. */
export function dashboardQueries(panels: readonly (Panel | RowPanel)[]): { panel: string; refId: string; expr: string; instant: boolean }[] {
  const out: { panel: string; refId: string; expr: string; instant: boolean }[] = [];
  for (const panel of panels) {
    if (panel.type === 'row') continue;
    for (const target of (panel as Panel).targets ?? []) {
      const { refId, expr, instant } = target;
      if (typeof expr !== 'string' || typeof refId !== 'string') throw new Error(`panel '${panel.title ?? ''}' has a target without a string expr and refId`);
      out.push({ panel: panel.title ?? '', refId, expr, instant: instant === true });
    }
  }
  return out;
}
