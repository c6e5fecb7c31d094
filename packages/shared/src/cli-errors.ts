import { SweepSpecError } from './errors.js';

/** Exit codes of both command-line programs (docs/architecture.md, "Exit codes"). */
export const EXIT_OK = 0;
const EXIT_RUNTIME_FAILURE = 1;
const EXIT_INVALID_INPUT = 2;

/**
 * Bad usage that the argument parser cannot see by itself (a flag combination, a value out of
 * range). The entry point prints the message and exits with code 2, like an invalid sweep file.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * A command that has said what happened and only needs its exit code (failed trials: 1, a
 * Ctrl-C while watching: 130). Thrown, so that the command's `finally` blocks run and the entry
 * point stays the one place that ends the process.
 */
export class ExitStatus extends Error {
  override readonly name = 'ExitStatus';
  constructor(readonly exitCode: number) {
    super(`exit status ${exitCode}`);
  }
}

/** commander's errors, recognised by shape so that shared does not depend on commander. */
function isCommanderError(error: unknown): error is { code: string; exitCode: number } {
  const e = error as { code?: unknown; exitCode?: unknown } | null;
  return typeof e === 'object' && e !== null && typeof e.code === 'string' && e.code.startsWith('commander.') && typeof e.exitCode === 'number';
}

/**
 * Maps an error escaping a command to an exit code: the parser's own help/version exits are 0,
 * its usage errors 2; invalid input (a sweep file, a flag, a job payload) 2; anything else 1.
 */
export function exitCodeFor(error: unknown): number {
  if (isCommanderError(error)) return error.exitCode === 0 ? EXIT_OK : EXIT_INVALID_INPUT;
  if (error instanceof ExitStatus) return error.exitCode;
  if (error instanceof SweepSpecError || error instanceof UsageError) return EXIT_INVALID_INPUT;
  return EXIT_RUNTIME_FAILURE;
}

/** What `program` prints for an error, or undefined when the argument parser has printed it already. */
export function describeError(program: string, error: unknown): string | undefined {
  if (isCommanderError(error) || error instanceof ExitStatus) return undefined;
  if (error instanceof SweepSpecError) return error.message;
  if (error instanceof UsageError) return `${program}: ${error.message}`;
  if (error instanceof Error) {
    return `${program}: ${error.message}${process.env.DEBUG ? `\n${error.stack ?? ''}` : ' (set DEBUG=1 for a stack trace)'}`;
  }
  return `${program}: ${String(error)}`;
}
