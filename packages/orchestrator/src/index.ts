/** @denoise-sweep/orchestrator: the `orchestrator` CLI (see bin.ts); exported for tests and embedding. */
export { enqueueSweep, TRIAL_JOB_OPTIONS } from './sweep-enqueue.js';
export { sweepRecord } from './sweep-record.js';
export { type ResultRow } from './results-report.js';
export { connectRedis } from './connections.js';
export { SweepExporter } from './sweep-exporter.js';
export { jobStates } from './job-states.js';
export { readSweepStatus } from './sweep-state.js';
