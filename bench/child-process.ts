/**
 * Runs a benchmark child process that prints human-readable lines and one JSON result line:
 * relays the lines live, keeps the tail of stderr, and resolves when the child exits.
 */
import { spawn } from 'node:child_process';

export interface ChildRun<T> {
  /** The parsed result line, or null when none came (or it did not parse: see parseError). */
  result: T | null;
  parseError: string | null;
  code: number | null;
  /** The last 4,000 characters of stderr. */
  stderrTail: string;
}

export interface ChildOptions {
  env?: NodeJS.ProcessEnv;
  /** The JSON text of a result line, or undefined for a line to relay. */
  resultOf: (line: string) => string | undefined;
  /** Gets every other non-empty line. */
  log: (line: string) => void;
}

/** Lines of tfjs's "install tfjs-node" banner, which the pure-JS backend prints once. */
export const TFJS_BANNER = /^=+$|running TensorFlow\.js in Node\.js/;

export function runJsonChild<T>(command: string, args: readonly string[], options: ChildOptions): Promise<ChildRun<T>> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
  const run: ChildRun<T> = { result: null, parseError: null, code: null, stderrTail: '' };
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      const json = options.resultOf(line);
      if (json === undefined) {
        if (line.trim()) options.log(line);
        continue;
      }
      try {
        run.result = JSON.parse(json) as T;
      } catch (error) {
        run.parseError = (error as Error).message;
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    run.stderrTail = (run.stderrTail + chunk).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ ...run, code }));
  });
}
