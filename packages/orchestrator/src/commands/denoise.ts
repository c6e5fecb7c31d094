import { spawn } from 'node:child_process';
import { ExitStatus } from '@denoise-sweep/shared';
import { Command } from 'commander';
import { workerBin } from '../local/index.js';

interface DenoiseOptions {
  model: string;
  out: string;
  json?: boolean;
}

const EXAMPLES = `
Examples:
  $ orchestrator export example --out model/
  $ orchestrator denoise --model model/ --out denoised/ shirt.png boot.png
  $ orchestrator denoise --model model/ --out denoised/ /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz

PNG inputs must be 28x28 (colour is turned to grey); an IDX file gives one PNG per image,
named after the file and the image's index. Outputs are 28x28 grey PNGs of the same names.
The images are denoised by the worker program (\`worker denoise\`), where TensorFlow.js lives.`;

export function denoiseCommand(): Command {
  return new Command('denoise')
    .summary('denoise 28x28 images with a model written by export')
    .description('Load a trained model (model.json + weights.bin, from orchestrator export) and write the denoised version '
      + 'of each image: PNG files, and every image of IDX image files (gzipped or not).')
    .argument('<image...>', 'PNG files (28x28) and IDX image files')
    .requiredOption('--model <dir>', 'the model directory (orchestrator export SWEEP --out DIR)')
    .requiredOption('--out <dir>', 'where the denoised PNGs go (created if missing)')
    .option('--json', 'print the written files as JSON')
    .addHelpText('after', EXAMPLES)
    .action(async (images: string[], options: DenoiseOptions) => {
      const args = [workerBin(), 'denoise', '--model', options.model, '--out', options.out, ...(options.json ? ['--json'] : []), '--', ...images];
      const code = await new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, args, { stdio: 'inherit' });
        child.once('error', reject);
        child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
      });
      // The worker has said what went wrong; its exit code (2 for bad input) is ours.
      if (code !== 0) throw new ExitStatus(code);
    });
}
