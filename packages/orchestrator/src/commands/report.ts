import { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { defaultReportPath, writeSweepReport } from '../report/write-sweep-report.js';
import { loadSweepRecord } from '../sweep-record.js';
import { readSweepStatus } from '../sweep-state.js';
import type { RuntimeOptions } from './runtime-options.js';
import { addSettingOptions, RUNTIME_HELP, withConnections } from './runtime-options.js';

interface ReportOptions extends RuntimeOptions {
  out?: string;
}

const EXAMPLES = `
Examples:
  $ orchestrator report example                              # writes example-report.html
  $ orchestrator report example --out reports/example.html
  $ REDIS_URL=redis://queue:6379 S3_ENDPOINT=http://minio:9000 orchestrator report my-sweep --out my-sweep.html

The page needs no network and no script: open it in any browser, mail it, or attach it to a
CI run. Unfinished trials are listed too; run the command again for a newer report.
`;

export function reportCommand(io: CliIo): Command {
  return addSettingOptions(new Command('report'))
    .summary('write a sweep\'s results as one self-contained HTML page')
    .description('One HTML file that works offline: the results table (best marked), validation loss per epoch of every trial, '
      + 'final PSNR against noise factor per filter set, and each trial\'s noisy / denoised / clean picture. Prints its path.')
    .argument('<sweep>', 'the sweep id (the slug of the sweep file\'s name)')
    .option('--out <file>', 'the HTML file to write (default: <sweep>-report.html)')
    .addHelpText('after', `${EXAMPLES}${RUNTIME_HELP}`)
    .action(async (sweep: string, options: ReportOptions) => {
      await withConnections(options, true, async ({ store, keys, queue, redis }) => {
        const record = await loadSweepRecord(store, keys, sweep);
        const status = await readSweepStatus(record, store, keys, queue, undefined, redis);
        const path = await writeSweepReport({ status, store, keys, out: options.out ?? defaultReportPath(sweep) });
        io.out(`${path}\n`);
      });
    });
}
