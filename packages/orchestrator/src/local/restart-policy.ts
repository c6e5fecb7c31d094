/**
 * When a supervised process that exited unexpectedly is started again: after a backoff that
 * doubles with each recent crash (1 s, 2 s, 4 s ... at most 30 s), and not at all once it has
 * crashed `maxCrashes` times within `windowMs`: something is wrong that restarting cannot fix.
 */
export class RestartPolicy {
  private readonly crashes: number[] = [];

  constructor(
    private readonly maxCrashes = 5,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a crash; the delay before the restart, or undefined to give up. */
  crashed(): number | undefined {
    const t = this.now();
    this.crashes.push(t);
    while (this.crashes.length > 0 && this.crashes[0]! < t - this.windowMs) this.crashes.shift();
    if (this.crashes.length >= this.maxCrashes) return undefined;
    return Math.min(30_000, 1000 * 2 ** (this.crashes.length - 1));
  }

  /** How many crashes the window holds, for messages. */
  get recent(): number {
    return this.crashes.length;
  }

  get window(): number {
    return this.windowMs;
  }
}
