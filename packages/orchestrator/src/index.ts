/** @denoise-sweep/orchestrator: the `orchestrator` CLI (see bin.ts); exported for tests and embedding. */
export { processIo, type CliIo } from './cli-io.js';
export { runSweep, sweepCommand, type SweepCommandOptions } from './commands/sweep.js';
export { EXIT_INVALID_INPUT, EXIT_OK, EXIT_RUNTIME_FAILURE, describeError, exitCodeFor } from './exit-codes.js';
export { createProgram } from './program.js';
export { formatTrialTable } from './trial-table.js';
