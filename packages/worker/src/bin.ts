#!/usr/bin/env node
import { describeError, EXIT_OK, exitCodeFor } from '@denoise-sweep/shared';
import { Command } from 'commander';
import { denoiseCommand } from './commands/denoise.js';
import { runCommand } from './commands/run.js';
import { trainCommand } from './commands/train.js';
import { packageVersion } from './package-version.js';

const ABOUT = `
Engines (fastest first): tensorflow-gpu (@tensorflow/tfjs-node-gpu), webgpu (WebGPU over
Vulkan, on a GPU), tensorflow (@tensorflow/tfjs-node), cpu (pure JS with this project's
kernels). TFJS_BACKEND or --engine forces one; gpu takes the first GPU engine that starts and
never the CPU. Fashion-MNIST is read from FASHION_MNIST_DIR, else /usr/share/datasets/fashion-mnist
(Debian package dataset-fashion-mnist).

Exit codes: 0 ok, 1 runtime failure, 2 invalid input or bad usage.`;

function createProgram(): Command {
  const program = new Command('worker')
    .description('Train trials of the Fashion-MNIST denoising autoencoder with TensorFlow.js.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .showSuggestionAfterError(true)
    .addHelpText('after', ABOUT);
  program.addCommand(runCommand().copyInheritedSettings(program), { isDefault: true });
  program.addCommand(trainCommand().copyInheritedSettings(program));
  program.addCommand(denoiseCommand().copyInheritedSettings(program));
  return program;
}

// The only place that ends the process: commands throw, this maps errors to exit codes.
async function main(argv: readonly string[]): Promise<number> {
  try {
    await createProgram().parseAsync([...argv], { from: 'node' });
    return EXIT_OK;
  } catch (error) {
    const message = describeError('worker', error);
    if (message !== undefined) process.stderr.write(`${message}\n`);
    return exitCodeFor(error);
  }
}

// The AWS SDK warns on every run that its releases from 2027 on need Node 22; this project
// pins an SDK that supports Node 20, so the warning says nothing actionable to users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const code = await main(process.argv);
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
process.exit(code);
