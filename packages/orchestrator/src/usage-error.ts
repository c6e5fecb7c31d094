/**
 * Bad usage that commander cannot see by itself (e.g. a flag combination not available yet).
 * The entry point prints the message and exits with code 2, like an invalid sweep file.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
