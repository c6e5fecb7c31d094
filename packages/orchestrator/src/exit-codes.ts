import { describeError as describeCliError } from '@denoise-sweep/shared';

export { EXIT_OK, exitCodeFor } from '@denoise-sweep/shared';

/** What the orchestrator prints for an error, or undefined when commander has printed it already. */
export function describeError(error: unknown): string | undefined {
  return describeCliError('orchestrator', error);
}
