/**
 * Why a running trial is asked to stop. A stop travels as an AbortSignal whose reason is one of
 * these, from the queue's processor (BullMQ aborts it through `Worker.cancelJob`) down to the
 * epoch loop, which checks it at every batch boundary, checkpoints and returns 'stopped':
 * - shutdown: the worker is going away; the trial goes back to the queue at once, without
 *   spending an attempt, and another worker resumes it from that checkpoint;
 * - cancel: `orchestrator cancel`; the trial fails as cancelled and keeps its checkpoint;
 * - pause: early termination cut the trial at a rung in pause mode; it keeps its checkpoint
 *   and waits, off the queue, until it is promoted;
 * - early-stop: early termination cut the trial at a rung for good; it is done, with a result
 *   whose status is 'stopped'.
 * The last two come from the rung decision at an epoch boundary, not from the signal.
 */
const STOP_REASONS = ['shutdown', 'cancel', 'pause', 'early-stop'] as const;
export type StopReason = (typeof STOP_REASONS)[number];

export function isStopReason(value: unknown): value is StopReason {
  return typeof value === 'string' && (STOP_REASONS as readonly string[]).includes(value);
}

/**
 * The reason an aborted signal carries. A signal aborted without one of ours (BullMQ's own
 * abort on close) counts as a shutdown: the trial checkpoints and goes back to the queue.
 */
export function stopReasonOf(signal: AbortSignal): StopReason {
  return isStopReason(signal.reason) ? signal.reason : 'shutdown';
}
