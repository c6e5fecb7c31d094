import { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { exportTrialModel } from '../model-export.js';
import { loadSweepRecord } from '../sweep-record.js';
import type { RuntimeOptions } from './runtime-options.js';
import { addSettingOptions, RUNTIME_HELP, withConnections } from './runtime-options.js';

interface ExportOptions extends RuntimeOptions {
  trial?: string;
  out: string;
  json?: boolean;
}

const EXAMPLES = `
Examples:
  $ orchestrator export example --out model/                  # the best trial of sweep example
  $ orchestrator export example --trial 8e94fd4df43e --out model-8e94/
  $ orchestrator denoise --model model/ --out denoised/ noisy.png

The model loads in any Node or browser process with TensorFlow.js:
  const model = await tf.loadLayersModel('file://model/model.json');   // with @tensorflow/tfjs-node
It takes [n, 28, 28, 1] float32 images in [0, 1] and returns denoised images of the same shape.
`;

export function exportCommand(io: CliIo): Command {
  return addSettingOptions(new Command('export'))
    .summary('write a trained model (model.json + weights.bin) and its config and metrics to a directory')
    .description('Copy the final checkpoint\'s model of a finished trial, checked against its manifest, as a TensorFlow.js '
      + 'Layers model (model.json + weights.bin) with the trial\'s config.json, metrics.jsonl and result.json. '
      + 'Default: the sweep\'s best trial by its metric.')
    .argument('<sweep>', 'the sweep id')
    .option('--trial <id>', 'this trial instead of the best one')
    .requiredOption('--out <dir>', 'the directory to write (created if missing; its files of these names are replaced)')
    .option('--json', 'print what was written as JSON')
    .addHelpText('after', `${EXAMPLES}${RUNTIME_HELP}`)
    .action(async (sweep: string, options: ExportOptions) => {
      await withConnections(options, false, async ({ store, keys }) => {
        const record = await loadSweepRecord(store, keys, sweep);
        const exported = await exportTrialModel({ store, keys, record, trial: options.trial, out: options.out });
        if (options.json) {
          io.out(`${JSON.stringify(exported)}\n`);
          return;
        }
        const f = exported.final;
        io.out(`trial ${exported.trial} of sweep ${sweep}: val_loss ${f.val_loss.toFixed(5)}, psnr ${f.psnr.toFixed(2)} dB, ssim ${f.ssim.toFixed(4)}\n`
          + `from ${exported.checkpoint}\n${exported.files.map((p) => `  ${p}\n`).join('')}`);
      });
    });
}
