import { readFileSync } from 'node:fs';
import type { MetricsServer } from '@denoise-sweep/shared';
import { readSettings, serveMetrics } from '@denoise-sweep/shared';
import { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import type { Connections } from '../connections.js';
import { SweepExporter } from '../sweep-exporter.js';
import type { RuntimeOptions } from './runtime-options.js';
import { addSettingOptions, RUNTIME_HELP, withConnections } from './runtime-options.js';

interface ServeOptions extends RuntimeOptions {
  sweep?: string[];
}

function orchestratorVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

/** Starts the exporter over open connections; resolves to its URL and a stop function. */
export async function startExporter(c: Connections, options: { host: string; port: number; sweeps?: string[]; recentHours?: number; trialSeries?: number }): Promise<MetricsServer> {
  const exporter = new SweepExporter({
    store: c.store, keys: c.keys, queue: c.queue!, redis: c.redis!, version: orchestratorVersion(), sweeps: options.sweeps, recentHours: options.recentHours, trialSeries: options.trialSeries,
  });
  return serveMetrics({ host: options.host, port: options.port, render: () => exporter.render() });
}

export function serveCommand(io: CliIo): Command {
  return addSettingOptions(addSettingOptions(new Command('serve')), ['exporterPort', 'exporterHost', 'recentHours', 'trialSeries'])
    .summary('export queue state and sweep results to Prometheus')
    .description('Serve GET /metrics: queue job counts by state, each recent sweep\'s trials by state and progress, and every '
      + 'finished trial\'s final metrics labelled with its hyperparameters (for the Grafana dashboards in infra/grafana). '
      + 'Runs until interrupted. Local mode starts this exporter by itself during a sweep.')
    .option('--sweep <id...>', 'always export these sweeps, recent or not')
    .addHelpText('after', RUNTIME_HELP)
    .action(async (options: ServeOptions) => {
      const { exporterPort: port, exporterHost: host, recentHours, trialSeries } = readSettings(['exporterPort', 'exporterHost', 'recentHours', 'trialSeries'], options);
      await withConnections(options, true, async (c) => {
        const server = await startExporter(c, { host, port, sweeps: options.sweep, recentHours, trialSeries });
        io.err(`exporter listening on ${server.url}\n`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await server.close();
      });
    });
}
