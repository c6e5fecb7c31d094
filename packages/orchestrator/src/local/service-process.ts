import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ServiceMessage } from './service-messages.js';

/**
 * A local service running as a child Node process with an IPC channel. The child exits when
 * the channel closes, which the OS does when this process dies however it dies (SIGKILL
 * included), so a crashed orchestrator or test runner leaves no orphan service behind.
 * Handles are unref'd: a forgotten stop() does not keep this process alive, and the child
 * follows it out.
 */
export interface ServiceProcess {
  readonly child: ChildProcess;
  /** The child's stderr and stdout, last lines only, for error messages. */
  output(): string;
  /** Resolves with the first message of the given type; rejects if the child exits first or time runs out. */
  waitFor<T extends ServiceMessage['type']>(type: T, timeoutMs: number): Promise<Extract<ServiceMessage, { type: T }>>;
  /** SIGTERM, then SIGKILL after killAfterMs; resolves once the child has exited. */
  stop(killAfterMs?: number): Promise<void>;
}

const OUTPUT_LINES = 40;

/** An entry file compiled beside this one (dist/local/<name>.js). */
export function entryFile(name: string): string {
  const path = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  if (!existsSync(path)) throw new Error(`${path} is missing: build the orchestrator first ('npm run build')`);
  return path;
}

export function spawnService(what: string, entry: string, nodeArgs: string[], config: unknown): ServiceProcess {
  const child = spawn(process.execPath, [...nodeArgs, entry, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Own process group: a Ctrl-C aimed at the CLI reaches the service through stop(), in order.
    detached: true,
  });
  const lines: string[] = [];
  const collect = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter((l) => l.trim() !== ''));
    if (lines.length > OUTPUT_LINES) lines.splice(0, lines.length - OUTPUT_LINES);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const messages: ServiceMessage[] = [];
  child.on('message', (m) => messages.push(m as ServiceMessage));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  // An 'error' event (spawn failure) is followed by 'exit' or reported through waitFor.
  let spawnError: Error | undefined;
  child.once('error', (err) => { spawnError = err; });
  child.unref();
  child.channel?.unref();
  (child.stdout as { unref?: () => void } | null)?.unref?.();
  (child.stderr as { unref?: () => void } | null)?.unref?.();

  const output = () => lines.join('\n');
  const waitFor = <T extends ServiceMessage['type']>(type: T, timeoutMs: number) =>
    new Promise<Extract<ServiceMessage, { type: T }>>((resolve, reject) => {
      const found = () => messages.find((m) => m.type === type || m.type === 'error');
      const settle = () => {
        const m = found();
        if (m === undefined) return false;
        cleanup();
        if (m.type === 'error') reject(Object.assign(new Error(`${what}: ${m.message}`), { code: m.code }));
        else resolve(m as Extract<ServiceMessage, { type: T }>);
        return true;
      };
      const onMessage = () => { settle(); };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        // Messages sent just before exit arrive before 'exit'.
        if (settle()) return;
        cleanup();
        const why = spawnError?.message ?? `exited with ${signal ?? `code ${code}`}`;
        reject(new Error(`${what} ${why} before it was ready${lines.length ? `:\n${output()}` : ''}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${what} was not ready after ${timeoutMs} ms${lines.length ? `:\n${output()}` : ''}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.on('exit', onExit);
      if (child.exitCode !== null || child.signalCode !== null) onExit(child.exitCode, child.signalCode);
      else settle();
    });
  const stop = async (killAfterMs = 10_000) => {
    if (child.exitCode === null && child.signalCode === null) {
      // This timer keeps the event loop alive until the child is gone.
      const force = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(force);
    }
  };
  return { child, output, waitFor, stop };
}
