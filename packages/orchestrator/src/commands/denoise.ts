import { spawn } from 'node:child_process';
import { ExitStatus } from '@denoise-sweep/shared';
import { Command } from 'commander';
import { workerBin } from '../local/index.js';

/**
 * `orchestrator denoise ...` is `worker denoise ...`, where TensorFlow.js lives: the arguments,
 * --help included, go to the worker program as they are, and its exit code is ours.
 */
export function denoiseCommand(): Command {
  return new Command('denoise')
    .summary('denoise 28x28 images with a model written by export (runs worker denoise; --help for its options)')
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]', 'the arguments of worker denoise: --model DIR --out DIR IMAGE...')
    .action(async (args: string[]) => {
      const code = await new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, [workerBin(), 'denoise', ...args], { stdio: 'inherit' });
        child.once('error', reject);
        child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
      });
      // The worker has said what went wrong; its exit code (2 for bad input) is ours.
      if (code !== 0) throw new ExitStatus(code);
    });
}
