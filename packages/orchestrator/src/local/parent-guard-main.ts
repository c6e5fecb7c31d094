/**
 * Entry of a guard process that runs a non-Node service (redis-server) and ends it when the
 * parent goes away: the IPC channel to the parent closes when the parent dies however it
 * dies, which a plain child like redis-server cannot notice. Command and arguments come as
 * JSON in argv[2]; SIGTERM to the guard stops the service cleanly and waits for it.
 */
import { spawn } from 'node:child_process';
import type { ServiceMessage } from './service-messages.js';

interface ParentGuardConfig {
  command: string;
  args: string[];
}

function send(message: ServiceMessage): void {
  if (process.connected) process.send?.(message);
}

const config = JSON.parse(process.argv[2] ?? '{}') as ParentGuardConfig;
const child = spawn(config.command, config.args, { stdio: ['ignore', 'inherit', 'inherit'] });
child.once('spawn', () => {
  if (child.pid !== undefined) send({ type: 'spawned', pid: child.pid });
});
child.once('error', (err: NodeJS.ErrnoException) => {
  send({ type: 'error', ...(err.code === undefined ? {} : { code: err.code }), message: `cannot run ${config.command}: ${err.message}` });
  process.exit(127);
});
child.once('exit', (code, signal) => {
  send({ type: 'exited', code, signal });
  process.exit(code ?? (signal === 'SIGTERM' ? 0 : 1));
});
const stopChild = () => {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  // A service that ignores SIGTERM is killed; the guard then exits through 'exit' above.
  setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
};
process.on('SIGTERM', stopChild);
process.on('SIGINT', stopChild);
process.on('disconnect', stopChild);
