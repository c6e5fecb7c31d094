import { resolve } from 'node:path';
import type { EpochRecord, Trial, TrialResult } from '@denoise-sweep/shared';
import { ArtifactKeys, DEFAULT_DATASET_LIMITS, FileObjectStore, DEFAULT_TRIAL_PARAMS, readJson, readSettings, settingFlags, UsageError, trialId, validateDatasetLimits, validateTrialParams } from '@denoise-sweep/shared';
import { Command } from 'commander';
import { selectEngine } from '../backend.js';
import { fashionMnistDir } from '../fashion-mnist.js';
import { ProgressBar } from '../progress-bar.js';
import { executeTrial } from '../trial-execution.js';
import { describeAdapter } from '../webgpu-engine.js';

export interface TrainCommandOptions {
  noiseFactor: string;
  filters: string;
  epochs: string;
  batchSize: string;
  learningRate: string;
  seed: string;
  trainLimit: string;
  testLimit: string;
  out: string;
  sweep: string;
  engine?: string;
  json?: boolean;
}

const EXAMPLES = `
Examples:
  $ worker train --filters 16,32 --epochs 2 --train-limit 2000 --test-limit 500
  $ worker train --noise-factor 0.3 --filters 32 --json      # filters 32 means [32, 64, 128]

Artifacts go to OUT/sweeps/SWEEP/trials/TRIAL/: checkpoints/ after every epoch, metrics.jsonl,
samples.png (noisy / denoised / clean) and result.json. Running the same command again resumes
from the newest complete checkpoint, or reports the finished result.`;

function parseFilters(text: string): number[] | number {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p))) throw new UsageError(`--filters must be one width (e.g. 32) or a comma-separated list (e.g. 32,64,128), got '${text}'`);
  const widths = parts.map(Number);
  return widths.length === 1 ? widths[0]! : widths;
}

const num = (flag: string, text: string): number => {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag} must be a number, got '${text}'`);
  return n;
};

/** Builds and validates the trial the flags describe, with the sweep.yaml bounds. */
export function trialFromFlags(o: TrainCommandOptions): Trial {
  const filters = parseFilters(o.filters);
  const params = validateTrialParams(
    {
      noise_factor: num('--noise-factor', o.noiseFactor),
      filters: typeof filters === 'number' ? [filters, 2 * filters, 4 * filters] : filters,
      epochs: num('--epochs', o.epochs),
      batch_size: num('--batch-size', o.batchSize),
      learning_rate: num('--learning-rate', o.learningRate),
      seed: num('--seed', o.seed),
    },
    'command line',
  );
  const dataset = validateDatasetLimits({ train_limit: num('--train-limit', o.trainLimit), test_limit: num('--test-limit', o.testLimit) }, 'command line');
  return { id: trialId(params, dataset), params, dataset };
}

function formatEpoch(r: EpochRecord, epochs: number): string {
  return `epoch ${r.epoch}/${epochs}  train_loss ${r.train_loss.toFixed(5)}  val_loss ${r.val_loss.toFixed(5)}  `
    + `psnr ${r.psnr.toFixed(2)} dB (noisy ${r.noisy_psnr.toFixed(2)})  ssim ${r.ssim.toFixed(4)}  `
    + `${r.images_per_sec.toFixed(0)} img/s  ${r.train_seconds.toFixed(1)}+${r.eval_seconds.toFixed(1)} s`;
}

export function formatResult(result: TrialResult, samplesUri: string): string {
  const f = result.final;
  return [
    `trial ${result.trial} completed: ${result.epochs_completed} epochs, ${result.param_count.toLocaleString('en-US')} parameters, engine ${result.engine.name} (${result.engine.kernels})`,
    `  val_loss ${f.val_loss.toFixed(5)}   psnr ${f.psnr.toFixed(2)} dB (noisy input ${f.noisy_psnr.toFixed(2)} dB, +${(f.psnr - f.noisy_psnr).toFixed(2)})   ssim ${f.ssim.toFixed(4)}`,
    `  ${result.timings.images_per_sec.toFixed(1)} images/s, ${result.timings.wall_seconds.toFixed(1)} s in all`,
    `  samples: ${samplesUri}`,
    '',
  ].join('\n');
}

export function trainCommand(): Command {
  const d = DEFAULT_TRIAL_PARAMS;
  return new Command('train')
    .summary('train one trial on this machine and print its metrics')
    .description('Train one trial of the denoising autoencoder on Fashion-MNIST, without a queue: checkpoints, '
      + 'metrics, samples and the result go to a local directory in the object-store layout.')
    .option('--noise-factor <x>', 'std-dev of the Gaussian noise, 0..2', String(d.noise_factor))
    .option('--filters <w,...>', 'conv widths per level (1 to 5), or one width w for [w, 2w, 4w]', d.filters.join(','))
    .option('--epochs <n>', 'epochs, 1..1000', String(d.epochs))
    .option('--batch-size <n>', 'batch size, 1..4096', String(d.batch_size))
    .option('--learning-rate <x>', 'Adam learning rate, (0, 1]', String(d.learning_rate))
    .option('--seed <n>', 'seeds weights, noise and shuffling', String(d.seed))
    .option('--train-limit <n>', 'first N training images, 1..60000', String(DEFAULT_DATASET_LIMITS.train_limit))
    .option('--test-limit <n>', 'first N test images, 1..10000', String(DEFAULT_DATASET_LIMITS.test_limit))
    .option('--out <dir>', 'directory for the artifacts', '.denoise-sweep/local-store')
    .option('--sweep <id>', 'sweep id the trial is filed under', 'adhoc')
    .option(settingFlags(['engine'])[0]!.flags, settingFlags(['engine'])[0]!.description)
    .option('--json', 'print result.json on stdout and nothing else')
    .addHelpText('after', EXAMPLES)
    .action(async (options: TrainCommandOptions) => {
      await trainFromFlags(options);
    });
}

/** `worker train`: one trial on this machine, no queue, artifacts in a local directory. */
export async function trainFromFlags(options: TrainCommandOptions): Promise<void> {
  const trial = trialFromFlags(options);
  const engine = await selectEngine(readSettings(['engine'], { engine: options.engine }).engine);
  const say = (line: string) => process.stderr.write(`${line}\n`);
  say(`engine: ${engine.engine} (${engine.kernels}${engine.adapter ? ` on ${describeAdapter(engine.adapter)}` : ''})${engine.skipped.length ? `; passed over ${engine.skipped.join('; ')}` : ''}`);
  const store = new FileObjectStore(resolve(options.out));
  const keys = new ArtifactKeys();
  const existing = await readJson<TrialResult>(store, keys.result(options.sweep, trial.id));
  let result: TrialResult;
  if (existing) {
    say(`trial ${trial.id} is already done; its result:`);
    result = existing;
  } else {
    say(`trial ${trial.id}: ${JSON.stringify(trial.params)} on ${trial.dataset.train_limit} train / ${trial.dataset.test_limit} test images`);
    const bar = new ProgressBar();
    const outcome = await executeTrial({
      store,
      keys,
      sweep: options.sweep,
      trial,
      engine,
      datasetDir: fashionMnistDir(),
      log: (m) => {
        bar.clear();
        say(m);
      },
      onBatch: (p) => bar.update(p.batch, p.batches, `epoch ${p.epoch}/${trial.params.epochs}`, `loss ${p.loss.toFixed(4)}`),
      onEpochEnd: (r) => {
        bar.clear();
        say(formatEpoch(r, trial.params.epochs));
      },
    });
    if (!outcome.result) throw new Error(`trial ${trial.id} stopped after ${outcome.epochsDone} epochs; run the same command to resume`);
    result = outcome.result;
  }
  if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(formatResult(result, store.uri(result.samples_key)));
}
