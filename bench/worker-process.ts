/**
 * A real `worker run` process (packages/worker/dist/bin.js, as local mode starts it), with its
 * JSON log lines from stderr kept for timestamps.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

interface WorkerLogLine {
  time: string;
  level: string;
  msg: string;
  [field: string]: unknown;
}

export interface WorkerProcess {
  pid: number;
  /** Every JSON log line so far. */
  readonly logs: readonly WorkerLogLine[];
  /** Resolves with the first log line whose message matches. */
  waitForLog(message: RegExp, timeoutMs?: number): Promise<WorkerLogLine>;
  /** SIGTERM (running trials checkpoint and go back), then waits for exit; SIGKILL after timeoutMs. */
  stop(timeoutMs?: number): Promise<void>;
}

/** The built worker program, found as local mode finds it. */
function workerBin(): string {
  const pkg = createRequire(import.meta.url).resolve('@denoise-sweep/worker/package.json');
  return join(dirname(pkg), 'dist', 'bin.js');
}

export function startWorkerProcess(env: NodeJS.ProcessEnv, args: readonly string[] = ['run', '--concurrency', '1']): WorkerProcess {
  const child: ChildProcess = spawn(process.execPath, [workerBin(), ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const logs: WorkerLogLine[] = [];
  const waiters: { message: RegExp; resolve: (line: WorkerLogLine) => void }[] = [];
  let exited = false;
  let stderrTail = '';
  let pending = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const text = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      stderrTail = (stderrTail + text + '\n').slice(-4000);
      if (!text.startsWith('{')) continue;
      try {
        const line = JSON.parse(text) as WorkerLogLine;
        logs.push(line);
        for (const w of waiters.filter((w) => w.message.test(line.msg))) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      } catch {
        // not a log line
      }
    }
  });
  const exit = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    resolve();
  }));
  return {
    pid: child.pid ?? -1,
    logs,
    waitForLog: (message, timeoutMs = 120_000) => {
      const seen = logs.find((l) => message.test(l.msg));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`worker ${child.pid}: no log '${message.source}' within ${timeoutMs} ms; stderr: ${stderrTail}`)), timeoutMs);
        void exit.then(() => {
          clearTimeout(timer);
          reject(new Error(`worker ${child.pid} exited before logging '${message.source}'; stderr: ${stderrTail}`));
        });
        waiters.push({ message, resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        } });
      });
    },
    stop: async (timeoutMs = 60_000) => {
      if (exited) return;
      const force = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.kill('SIGTERM');
      await exit;
      clearTimeout(force);
    },
  };
}
