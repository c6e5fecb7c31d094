import { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { loadSweepRecord } from '../sweep-record.js';
import type { SweepStatus, TrialStatus } from '../sweep-state.js';
import { earlyTerminationOf, paramsByTrial, readSweepStatus, TRIAL_STATES } from '../sweep-state.js';
import type { Column } from '../text-table.js';
import { formatTable } from '../text-table.js';
import type { RuntimeOptions } from './runtime-options.js';
import { addSettingOptions, RUNTIME_HELP, withConnections } from './runtime-options.js';

interface StatusOptions extends RuntimeOptions {
  json?: boolean;
}

const fixed = (v: number | undefined, d: number) => (v === undefined ? '-' : v.toFixed(d));

function columns(status: SweepStatus): Column<TrialStatus>[] {
  const params = paramsByTrial(status);
  return [
    { header: 'trial', value: (t) => t.id, align: 'left' },
    { header: 'state', value: (t) => t.state, align: 'left' },
    { header: 'epoch', value: (t) => (t.result ? `${t.result.epochs_completed}/${t.result.params.epochs}` : t.progress ? `${t.progress.epoch}/${t.progress.epochs}` : `0/${params.get(t.id)?.epochs ?? '?'}`), align: 'right' },
    { header: 'noise', value: (t) => String(params.get(t.id)?.noise_factor ?? '?'), align: 'right' },
    { header: 'filters', value: (t) => params.get(t.id)?.filters.join(',') ?? '?', align: 'left' },
    { header: 'val_loss', value: (t) => fixed(t.result?.final.val_loss ?? t.progress?.val_loss, 5), align: 'right' },
    { header: 'psnr', value: (t) => fixed(t.result?.final.psnr ?? t.progress?.psnr, 2), align: 'right' },
    { header: 'worker', value: (t) => (t.state === 'running' ? t.progress?.worker ?? '' : ''), align: 'left' },
    { header: 'note', value: noteOf, align: 'left' },
  ];
}

function noteOf(t: TrialStatus): string {
  const cut = earlyTerminationOf(t);
  const at = cut?.epochs.join(', ');
  if (cut?.how === 'paused') return `paused at epoch ${at}: resumes if promoted`;
  if (cut?.how === 'promoted') return `paused, then promoted, at epoch ${at}`;
  if (cut?.how === 'stopped') return `stopped early at epoch ${at}`;
  return t.failedReason && t.state !== 'done' ? t.failedReason.slice(0, 80) : '';
}

function formatStatus(status: SweepStatus): string {
  const counts = TRIAL_STATES.filter((s) => status.counts[s] > 0).map((s) => `${s} ${status.counts[s]}`).join(', ');
  return `Sweep ${status.sweep}: ${status.trials.length} trials: ${counts}\n\n${formatTable(columns(status), status.trials)}`;
}

export function statusCommand(io: CliIo): Command {
  return addSettingOptions(new Command('status'))
    .summary('show the state of every trial of a sweep')
    .description('Counts of trials by state (done, stopped, running, waiting, paused, retrying, failed, cancelled), then one line per trial: state, epoch, last metrics, worker.')
    .argument('<sweep>', 'the sweep id (the slug of the sweep file\'s name)')
    .option('--json', 'print {sweep, counts, trials: [...]} as JSON')
    .addHelpText('after', RUNTIME_HELP)
    .action(async (sweep: string, options: StatusOptions) => {
      await withConnections(options, true, async ({ store, keys, queue, redis }) => {
        const record = await loadSweepRecord(store, keys, sweep);
        const status = await readSweepStatus(record, store, keys, queue, undefined, redis);
        if (options.json) {
          io.out(`${JSON.stringify({ sweep: status.sweep, counts: status.counts, trials: status.trials.map(({ result, ...t }) => ({ ...t, final: result?.final ?? null })) }, null, 2)}\n`);
        } else {
          io.out(formatStatus(status));
        }
      });
    });
}
