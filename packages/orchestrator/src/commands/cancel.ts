import { QUEUE_PREFIX, cancelKey, mapLimit } from '@denoise-sweep/shared';
import { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { loadSweepRecord, sweepJobIds } from '../sweep-record.js';
import { jobStates } from '../job-states.js';
import type { RuntimeOptions } from './runtime-options.js';
import { addSettingOptions, RUNTIME_HELP, withConnections } from './runtime-options.js';

export function cancelCommand(io: CliIo): Command {
  return addSettingOptions(new Command('cancel'))
    .summary('stop a sweep: remove waiting trials, checkpoint and stop running ones')
    .description('Waiting trials are removed from the queue; running ones stop at their next batch after saving a checkpoint. '
      + 'Nothing is deleted from the store: running \'orchestrator sweep FILE\' again continues every unfinished trial.')
    .argument('<sweep>', 'the sweep id')
    .addHelpText('after', RUNTIME_HELP)
    .action(async (sweep: string, options: RuntimeOptions) => {
      await withConnections(options, true, async ({ store, keys, queue, redis }) => {
        const record = await loadSweepRecord(store, keys, sweep);
        // Workers poll this key and stop their running trials of the sweep after a checkpoint.
        await redis!.set(cancelKey(QUEUE_PREFIX, sweep), new Date().toISOString());
        let removed = 0;
        let running = 0;
        // Every state from one read (a job added since is asked for alone).
        const states = await jobStates(redis!, queue!);
        await mapLimit(sweepJobIds(record), 16, async (id) => {
          const job = await queue!.getJob(id);
          if (!job) return;
          const state = states.get(id) ?? await job.getState();
          if (state === 'waiting' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children') {
            try {
              await job.remove();
              removed += 1;
            } catch {
              running += 1; // a worker took it meanwhile: it sees the cancel key
            }
          } else if (state === 'active') {
            running += 1;
          }
        });
        io.out(`Sweep ${sweep} cancelled: ${removed} waiting trials removed, ${running} running trials stop after their next checkpoint.\n`
          + `Run 'orchestrator sweep FILE' again to continue it.\n`);
      });
    });
}
