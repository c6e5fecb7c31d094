/**
 * A one-line progress bar for people, on a terminal only: redrawn in place, throttled, and
 * silent when the stream is a pipe or a file (scripts get the per-epoch lines instead).
 */
export class ProgressBar {
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly width = 30,
    private readonly minIntervalMs = 100,
  ) {}

  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  update(done: number, total: number, label: string, suffix = ''): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (done < total && now - this.lastDraw < this.minIntervalMs) return;
    this.lastDraw = now;
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(fraction * this.width);
    const bar = '#'.repeat(filled) + '-'.repeat(this.width - filled);
    this.stream.write(`\r\x1b[2K${label} [${bar}] ${done}/${total} ${suffix}`);
    this.drawn = true;
  }

  /** Clears the bar so that a normal line can be written. */
  clear(): void {
    if (this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }
}
