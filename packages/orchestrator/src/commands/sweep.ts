import { expandSweep, parseSweepFile, sweepId, UsageError, type SweepSpec, type Trial } from '@denoise-sweep/shared';
import { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { formatTrialTable } from '../trial-table.js';


/**
 * Options of `orchestrator sweep FILE`. Enqueueing arrives with the queue: its flags
 * (`--redis`, `--s3`, `--state-dir`, ...) go here, and `runSweep` gains a branch for them.
 */
export interface SweepCommandOptions {
  /** Validate and expand only; enqueue nothing. @defaultValue false */
  dryRun?: boolean;
  /** One JSON object per trial on stdout instead of a table. @defaultValue false */
  json?: boolean;
}

const EXAMPLES = `
Examples:
  $ orchestrator sweep examples/sweep.yaml --dry-run          # check the file, list its trials
  $ orchestrator sweep examples/sweep.yaml --dry-run --json   # one JSON trial per line
  $ orchestrator sweep examples/sweep.yaml --dry-run --json | jq -r .id

The file follows Weights & Biases sweep conventions: name, method (grid | random), metric,
parameters (noise_factor, filters, epochs, batch_size, learning_rate, seed, each with
value, values, or for random search a distribution with min/max), run_cap, and dataset
(train_limit, test_limit). See examples/sweep.yaml.

Exit codes: 0 ok, 1 runtime failure, 2 invalid file or bad usage.`;

export function sweepCommand(io: CliIo): Command {
  return new Command('sweep')
    .summary('expand a sweep file into trials (and, soon, enqueue them)')
    .description(
      'Validate a sweep file and expand it into trials. Every problem in the file is reported with '
      + 'its line and key path. The sweep id is the slug of the file\'s name; each trial id is a hash '
      + 'of the trial\'s full config, so running the same file again never trains a config twice.\n\n'
      + 'For now only --dry-run is available: enqueueing to the work queue is not implemented yet.',
    )
    .argument('<file>', 'the sweep YAML file, e.g. examples/sweep.yaml')
    .option('--dry-run', 'validate and list the trials; enqueue nothing')
    .option('--json', 'print one JSON object per trial ({"id", "params", "dataset"}) and nothing else on stdout')
    .addHelpText('after', EXAMPLES)
    .action(async (file: string, options: SweepCommandOptions) => {
      await runSweep(file, options, io);
    });
}

/** `orchestrator sweep FILE [--dry-run] [--json]`. */
export async function runSweep(file: string, options: SweepCommandOptions, io: CliIo): Promise<void> {
  if (options.dryRun !== true) {
    throw new UsageError(
      'sweep: only --dry-run is available yet (enqueueing to the queue is not implemented); '
      + `run: orchestrator sweep ${file} --dry-run`,
    );
  }
  const spec = await parseSweepFile(file);
  const trials = expandSweep(spec);
  io.out(options.json === true ? formatJsonLines(trials) : formatDryRun(spec, trials));
}

function formatJsonLines(trials: readonly Trial[]): string {
  return trials.map((t) => `${JSON.stringify({ id: t.id, params: t.params, dataset: t.dataset })}\n`).join('');
}

function formatDryRun(spec: SweepSpec, trials: readonly Trial[]): string {
  const count = trials.length === 1 ? '1 trial' : `${trials.length} trials`;
  const { train_limit: train, test_limit: test } = spec.dataset;
  return [
    `Sweep ${sweepId(spec)}: ${count} (${spec.method} search), metric ${spec.metric.name} (${spec.metric.goal}),`
      + ` dataset ${train} train / ${test} test images`,
    '',
    formatTrialTable(trials).trimEnd(),
    '',
    `${count} in sweep ${sweepId(spec)}. Dry run: nothing was enqueued.`,
    '',
  ].join('\n');
}
