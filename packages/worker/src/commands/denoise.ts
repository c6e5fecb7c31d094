import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '@denoise-sweep/shared';
import { Command } from 'commander';
import { selectEngine } from '../backend.js';
import { denoiseImages, greyPng, loadDenoiser, readImages } from '../denoise.js';

interface DenoiseOptions {
  model: string;
  out: string;
  json?: boolean;
}

const EXAMPLES = `
Examples:
  $ orchestrator export example --out model/
  $ worker denoise --model model/ --out denoised/ shirt.png boot.png
  $ worker denoise --model model/ --out denoised/ /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz

PNG inputs must be 28x28 (colour is turned to grey); an IDX file gives one PNG per image,
named after the file and the image's index. Outputs are 28x28 grey PNGs of the same names.`;

export function denoiseCommand(): Command {
  return new Command('denoise')
    .summary('denoise 28x28 images with a model written by orchestrator export')
    .description('Load a trained model (model.json + weights.bin) and write the denoised version of each image: PNG files, '
      + 'and every image of IDX image files (gzipped or not).')
    .argument('<image...>', 'PNG files (28x28) and IDX image files')
    .requiredOption('--model <dir>', 'the model directory (orchestrator export SWEEP --out DIR)')
    .requiredOption('--out <dir>', 'where the denoised PNGs go (created if missing)')
    .option('--json', 'print the written files as JSON')
    .addHelpText('after', EXAMPLES)
    .action(async (files: string[], options: DenoiseOptions) => {
      await selectEngine();
      const model = await loadDenoiser(resolve(options.model));
      try {
        const images = await readImages(files);
        const denoised = await denoiseImages(model, images);
        const out = resolve(options.out);
        await mkdir(out, { recursive: true });
        const written: string[] = [];
        for (let i = 0; i < images.length; i++) {
          const path = join(out, images[i]!.name);
          await writeFileAtomic(path, greyPng(denoised[i]!));
          written.push(path);
        }
        if (options.json) process.stdout.write(`${JSON.stringify({ model: resolve(options.model), written })}\n`);
        else process.stdout.write(`${written.length} image${written.length === 1 ? '' : 's'} denoised into ${out}\n`);
      } finally {
        model.dispose();
      }
    });
}
