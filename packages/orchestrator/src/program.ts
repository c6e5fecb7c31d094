import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { CliIo } from './cli-io.js';
import { cancelCommand } from './commands/cancel.js';
import { denoiseCommand } from './commands/denoise.js';
import { exportCommand } from './commands/export.js';
import { reportCommand } from './commands/report.js';
import { resultsCommand } from './commands/results.js';
import { serveCommand } from './commands/serve.js';
import { statusCommand } from './commands/status.js';
import { sweepCommand } from './commands/sweep.js';

const ABOUT = `
Terms:
  sweep   a search over hyperparameters of the denoising autoencoder (noise_factor, filters,
          epochs, batch_size, learning_rate, seed), described by a sweep.yaml. Its id is the
          slug of its name: running the same file again resumes the same sweep.
  trial   one training run with one setting of every parameter. Its id is a hash of its full
          config (params and dataset limits), so the same config is never trained twice.

Examples:
  $ orchestrator sweep examples/sweep.yaml             # run it here (local mode) and print results
  $ orchestrator status example                        # the state of every trial
  $ orchestrator results example --format csv          # final metrics, best first
  $ orchestrator cancel example                        # stop it; 'sweep' again continues it
  $ orchestrator report example --out example.html     # one offline HTML page with charts and pictures
  $ orchestrator export example --out model/           # the best trial's trained model, for tf.loadLayersModel
  $ orchestrator denoise --model model/ --out out/ a.png   # denoise 28x28 images with it
  $ orchestrator serve --port 9465                     # queue and results for Prometheus
  $ orchestrator sweep examples/sweep.yaml --dry-run
  $ orchestrator sweep examples/sweep.yaml --dry-run --json
  $ orchestrator help sweep

Exit codes: 0 ok, 1 runtime failure, 2 invalid input or bad usage.`;

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

/**
 * The `orchestrator` program. Commander never exits the process itself (exitOverride): its
 * errors reach the entry point's single catch like every other error.
 */
export function createProgram(io: CliIo): Command {
  const program = new Command('orchestrator')
    .description('Run hyperparameter sweeps of the Fashion-MNIST denoising autoencoder: expand a sweep into trials, '
      + 'queue them for workers, and report their results.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .showSuggestionAfterError(true)
    .addHelpText('after', ABOUT);
  // Subcommands built elsewhere get the same output, exit override and error hints.
  for (const command of [sweepCommand(io), statusCommand(io), resultsCommand(io), cancelCommand(io), serveCommand(io), reportCommand(io), exportCommand(io), denoiseCommand()]) {
    program.addCommand(command.copyInheritedSettings(program));
  }
  // Its --help is the worker's: it passes every argument on (see commands/denoise.ts).
  program.commands.find((c) => c.name() === 'denoise')?.helpOption(false);
  return program;
}
