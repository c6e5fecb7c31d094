import type { SweepStatus } from '../sweep-state.js';
import { readSettings } from '@denoise-sweep/shared';
import type { ArtifactKeys, ObjectStore } from '@denoise-sweep/shared';
import { Command, Option } from 'commander';
import type { CliIo } from '../cli-io.js';
import type { ResultFormat } from '../results-report.js';
import { formatResults, RESULT_FORMATS, resultRows } from '../results-report.js';
import { loadSweepRecord } from '../sweep-record.js';
import { paramsByTrial, readSweepStatus } from '../sweep-state.js';
import type { RuntimeOptions } from './runtime-options.js';
import { addSettingOptions, RUNTIME_HELP, withConnections } from './runtime-options.js';

interface ResultsOptions extends RuntimeOptions {
  format: ResultFormat;
}

/** The results of a sweep in a format, best first. */
export function renderResults(status: SweepStatus, store: ObjectStore, keys: ArtifactKeys, format: ResultFormat, top?: number): string {
  const params = paramsByTrial(status);
  const rows = resultRows(status, store, keys, params);
  return formatResults(top === undefined ? rows : rows.slice(0, top), format, status);
}

export function resultsCommand(io: CliIo): Command {
  return addSettingOptions(addSettingOptions(new Command('results')), ['top'])
    .summary('list a sweep\'s trials with their final metrics, best first')
    .description('Every trial with its params, state, final val_loss, PSNR, SSIM, noisy-input PSNR, epochs completed, '
      + 'parameter count and the URIs of its final checkpoint and sample picture, sorted by the sweep\'s metric; * marks the best.')
    .argument('<sweep>', 'the sweep id')
    .addOption(new Option('--format <format>', 'output format').choices(RESULT_FORMATS).default('table'))
    .addHelpText('after', RUNTIME_HELP)
    .action(async (sweep: string, options: ResultsOptions) => {
      const { top } = readSettings(['top'], options);
      await withConnections(options, true, async ({ store, keys, queue, redis }) => {
        const record = await loadSweepRecord(store, keys, sweep);
        const status = await readSweepStatus(record, store, keys, queue, undefined, redis);
        io.out(renderResults(status, store, keys, options.format, top));
      });
    });
}
