/**
 * Why a running trial is asked to stop. A stop travels as an AbortSignal whose reason is one of
 * these, from the queue's processor (BullMQ aborts it through `Worker.cancelJob`) down to the
 * epoch loop, which checks it at every batch boundary, checkpoints and returns 'stopped':
 * - shutdown: the worker is going away; the trial goes back to the queue at once, without
 *   spending an attempt, and another worker resumes it from that checkpoint;
 * - cancel: `orchestrator cancel`; the trial fails as cancelled and keeps its checkpoint.
 * Adaptive search adds its own reasons here (a trial stopped early, or paused at a rung), and
 * each consumer's `switch` over StopReason must then say what it does with them.
 */
const STOP_REASONS = ['shutdown', 'cancel'] as const;
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
