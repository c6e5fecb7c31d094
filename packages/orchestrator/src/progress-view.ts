import type { SweepStatus } from './sweep-state.js';
import { sweepFraction } from './sweep-state.js';

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * The live view of `orchestrator sweep`: one summary line with a bar and ETA, then one line
 * per running trial (epoch, batch, last val loss, worker).
 */
export function renderProgress(status: SweepStatus, elapsedSeconds: number, startFraction: number, width = 30): string[] {
  const c = status.counts;
  const total = status.trials.length;
  const fraction = sweepFraction(status);
  const gained = fraction - startFraction;
  const eta = gained > 0 ? (elapsedSeconds * (1 - fraction)) / gained : Number.NaN;
  const filled = Math.round(fraction * width);
  const lines = [
    `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0)}%  `
      + `done ${c.done}  ${c.stopped > 0 ? `stopped ${c.stopped}  ` : ''}${c.paused > 0 ? `paused ${c.paused}  ` : ''}`
      + `running ${c.running}  waiting ${c.waiting + c.retrying + c.missing}  failed ${c.failed + c.cancelled}  of ${total}`
      + `  elapsed ${formatDuration(elapsedSeconds)}  eta ${Number.isNaN(eta) ? '?' : formatDuration(eta)}`,
  ];
  for (const t of status.trials) {
    if (t.state !== 'running' || !t.progress) continue;
    const p = t.progress;
    const batch = p.batches > 0 ? ` batch ${p.batch}/${p.batches}` : '';
    const loss = p.val_loss === undefined ? '' : `  val_loss ${p.val_loss.toFixed(5)}`;
    lines.push(`  ${t.id}  epoch ${Math.min(p.epoch + 1, p.epochs)}/${p.epochs}${batch}${loss}  ${p.phase}  on ${p.worker}`);
  }
  return lines;
}

/** Redraws a block of lines in place on a terminal; prints only changes of the first line elsewhere. */
export class LiveBlock {
  private height = 0;
  private lastSummary = '';

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  /** Prints a line above the block (an event: a worker restarted), which the next draw keeps. */
  note(line: string): void {
    if (this.stream.isTTY && this.height > 0) {
      this.stream.write(`\x1b[${this.height}A\r\x1b[J`);
      this.height = 0;
    }
    this.stream.write(`${line}\n`);
    this.lastSummary = '';
  }

  draw(lines: string[]): void {
    if (this.stream.isTTY) {
      const columns = this.stream.columns || 120;
      const up = this.height > 0 ? `\x1b[${this.height}A` : '';
      this.stream.write(`${up}\r${lines.map((l) => `\x1b[2K${l.slice(0, columns - 1)}`).join('\n')}\n`);
      // Clear lines left over from a taller block.
      if (lines.length < this.height) {
        const extra = this.height - lines.length;
        this.stream.write(`${'\x1b[2K\n'.repeat(extra)}\x1b[${extra}A`);
      }
      this.height = lines.length;
    } else {
      const summary = (lines[0] ?? '').replace(/\s+elapsed.*$/, '');
      if (summary !== this.lastSummary) this.stream.write(`${lines[0]}\n`);
      this.lastSummary = summary;
    }
  }
}
