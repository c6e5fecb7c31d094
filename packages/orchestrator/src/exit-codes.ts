import { SweepSpecError } from '@denoise-sweep/shared';
import { CommanderError } from 'commander';
import { UsageError } from './usage-error.js';

/** Exit codes of the orchestrator (DESIGN.md): the same for every command. */
export const EXIT_OK = 0;
export const EXIT_RUNTIME_FAILURE = 1;
export const EXIT_INVALID_INPUT = 2;

/**
 * Maps an error escaping a command to an exit code: commander's own help/version exits are 0,
 * its usage errors 2; invalid input (a sweep file, a flag) 2; anything else is a runtime
 * failure, 1.
 */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_INVALID_INPUT;
  if (error instanceof SweepSpecError || error instanceof UsageError) return EXIT_INVALID_INPUT;
  return EXIT_RUNTIME_FAILURE;
}

/** What to print for an error, or undefined when commander has printed it already. */
export function describeError(error: unknown): string | undefined {
  if (error instanceof CommanderError) return undefined;
  if (error instanceof SweepSpecError) return error.message;
  if (error instanceof UsageError) return `orchestrator: ${error.message}`;
  if (error instanceof Error) {
    return `orchestrator: ${error.message}${process.env.DEBUG ? `\n${error.stack ?? ''}` : ' (set DEBUG=1 for a stack trace)'}`;
  }
  return `orchestrator: ${String(error)}`;
}
