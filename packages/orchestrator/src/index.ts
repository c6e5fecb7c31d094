/** @denoise-sweep/orchestrator: the `orchestrator` CLI (see bin.ts); exported for tests and embedding. */
export { processIo, type CliIo } from './cli-io.js';
export { runSweep, sweepCommand, type SweepCommandOptions } from './commands/sweep.js';
export { EXIT_INVALID_INPUT, EXIT_OK, EXIT_RUNTIME_FAILURE, describeError, exitCodeFor } from './exit-codes.js';
export { createProgram } from './program.js';
export { formatTrialTable } from './trial-table.js';
export { statusCommand, formatStatus } from './commands/status.js';
export { resultsCommand, renderResults } from './commands/results.js';
export { cancelCommand } from './commands/cancel.js';
export { enqueueSweep, TRIAL_JOB_OPTIONS, type EnqueueOutcome, type EnqueueOptions } from './sweep-enqueue.js';
export { readSweepStatus, isSettled, TRIAL_STATES, type SweepStatus, type TrialState, type TrialStatus } from './sweep-state.js';
export { loadSweepRecord, sweepRecord, type SweepRecord } from './sweep-record.js';
export { formatResults, resultRows, RESULT_FORMATS, type ResultFormat, type ResultRow } from './results-report.js';
export { openConnections, connectRedis, type Connections } from './connections.js';
export { SweepExporter, type SweepExporterOptions } from './sweep-exporter.js';
export { recentSweeps, sweepIndexKey, touchSweep } from './sweep-index.js';
export { serveCommand, startExporter } from './commands/serve.js';
export { writeSweepReport, renderSweepReport, defaultReportPath, type WriteSweepReportOptions } from './report/write-sweep-report.js';
