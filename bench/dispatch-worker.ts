/**
 * An idle BullMQ worker in a process of its own, for the dispatch-latency benchmark: its
 * processor does nothing but return when it started (wall clock, sub-millisecond).
 *
 *   node --import tsx bench/dispatch-worker.ts REDIS_URL QUEUE_NAME
 *
 * Prints 'ready' once connected; closes on SIGTERM or when its parent goes away.
 */
import { Worker } from 'bullmq';
import { wallClockMs } from './stats.js';

export interface DispatchJobResult {
  startedAt: number;
  pid: number;
}

const [redisUrl, queueName] = process.argv.slice(2);
if (!redisUrl || !queueName) {
  process.stderr.write('usage: dispatch-worker.ts REDIS_URL QUEUE_NAME\n');
  process.exit(2);
}
const worker = new Worker<unknown, DispatchJobResult>(queueName, () => Promise.resolve({ startedAt: wallClockMs(), pid: process.pid }), {
  connection: { url: redisUrl, maxRetriesPerRequest: null },
  concurrency: 1,
});
worker.on('error', (err) => process.stderr.write(`dispatch worker: ${err.message}\n`));
const close = () => {
  worker.close().then(() => process.exit(0), () => process.exit(1));
};
process.on('SIGTERM', close);
process.on('disconnect', close);
await worker.waitUntilReady();
process.stdout.write('ready\n');
