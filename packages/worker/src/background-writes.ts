/**
 * Store writes that run while training goes on (an epoch's checkpoint, pruning and record while
 * the next epoch trains), one batch at a time and in order. An error is kept and thrown by the
 * next start or settle, so a failed write fails the trial at the next point that needs it.
 */
export class BackgroundWrites {
  private pending: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;

  /**
   * Waits for the writes before (throwing their error), then starts `write`; it runs up to its
   * first await before this returns, so what it reads synchronously is read now.
   */
  async start(write: () => Promise<void>): Promise<void> {
    await this.settle();
    this.pending = write().catch((error: unknown) => {
      this.failure = { error };
    });
  }

  /** Waits for the writes in flight; throws the error of one that failed. */
  async settle(): Promise<void> {
    await this.pending;
    this.pending = undefined;
    const failure = this.failure;
    this.failure = undefined;
    if (failure) throw failure.error;
  }

  /** Waits for the writes in flight and drops their error: what failed first is what is reported. */
  async drain(): Promise<void> {
    await this.pending;
    this.pending = undefined;
    this.failure = undefined;
  }
}
