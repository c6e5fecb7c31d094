import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { findFreePort } from './free-port.js';
import type { ServiceMessage } from './service-messages.js';
import { entryFile, spawnService, type ServiceProcess } from './service-process.js';

export interface RedisServerOptions {
  /** Where Redis keeps its append-only file (created if missing). */
  dir: string;
  /** @defaultValue a free port */
  port?: number;
  /** Only this address is bound; Redis is never exposed beyond it. @defaultValue '127.0.0.1' */
  host?: string;
  /** Persist every write to an append-only file in dir, so a restarted local sweep keeps its queue. @defaultValue true */
  appendOnly?: boolean;
  /** Require AUTH with this password. @defaultValue no password (bound to loopback only) */
  password?: string;
  /** The redis-server binary. @defaultValue REDIS_SERVER_BIN, else 'redis-server' on PATH */
  redisServerPath?: string;
  /** @defaultValue 15000 */
  startTimeoutMs?: number;
}

export interface RedisServer {
  /** redis://[:password@]host:port */
  url: string;
  port: number;
  /** The redis-server process id. */
  pid: number;
  /** Shuts Redis down cleanly (SIGTERM: it finishes the append-only file) and waits for it to exit. */
  stop(): Promise<void>;
  /** Resolves when Redis has exited, by stop() or not, with how: 'SIGKILL', 'code 1'. */
  exited: Promise<string>;
}

export const REDIS_NOT_FOUND_MESSAGE = "redis-server not found: install it with 'apt-get install redis-server' or set REDIS_URL to use an existing Redis";

/** The binary's path: an explicit path as is, a bare name looked up on PATH. */
async function locateBinary(name: string): Promise<string> {
  const candidates = name.includes('/') ? [resolve(name)] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(REDIS_NOT_FOUND_MESSAGE);
}

function redisArgs(o: { dir: string; port: number; host: string; appendOnly: boolean; password: string | undefined }): string[] {
  const args = [
    '--port', String(o.port),
    '--bind', o.host,
    '--protected-mode', 'yes',
    '--dir', o.dir,
    '--daemonize', 'no',
    '--logfile', '',
    '--loglevel', 'warning',
    // The append-only file is the durable copy; no RDB snapshots on a timer.
    '--save', '',
    '--appendonly', o.appendOnly ? 'yes' : 'no',
    '--appendfsync', 'everysec',
    // BullMQ needs every key kept: never evict.
    '--maxmemory-policy', 'noeviction',
  ];
  if (o.password !== undefined) args.push('--requirepass', o.password);
  return args;
}

/** PINGs until Redis answers, the service dies, or time runs out. */
async function waitForPing(service: ServiceProcess, host: string, port: number, password: string | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  service.child.once('exit', () => { exited = true; });
  let lastError: unknown;
  while (Date.now() < deadline && !exited) {
    const client = new Redis({
      host, port, password, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false,
      retryStrategy: () => null, connectTimeout: 1_000,
    });
    client.on('error', () => { /* reported through ping's rejection */ });
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return;
    } catch (err) {
      lastError = err;
    } finally {
      client.disconnect();
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const why = exited ? 'exited' : `did not answer PING within ${timeoutMs} ms (${(lastError as Error | undefined)?.message ?? 'no answer'})`;
  throw new Error(`redis-server on ${host}:${port} ${why}${service.output() ? `:\n${service.output()}` : ''}`);
}

/**
 * Starts Debian's redis-server for local mode and tests: loopback only, append-only
 * persistence in dir, under a guard process that stops it if this process dies.
 */
export async function startRedisServer(options: RedisServerOptions): Promise<RedisServer> {
  const binary = await locateBinary(options.redisServerPath ?? 'redis-server');
  const host = options.host ?? '127.0.0.1';
  const dir = resolve(options.dir);
  await mkdir(dir, { recursive: true });
  const timeoutMs = options.startTimeoutMs ?? 15_000;
  // A port found free can be taken before Redis binds it: try again with another one.
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await findFreePort(host));
    const args = redisArgs({ dir, port, host, appendOnly: options.appendOnly ?? true, password: options.password });
    const service = spawnService('redis-server', entryFile('parent-guard-main'), [], { command: binary, args });
    try {
      const { pid } = await service.waitFor('spawned', timeoutMs);
      await waitForPing(service, host, port, options.password, timeoutMs);
      const auth = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`;
      const exited = new Promise<string>((resolve) => {
        let how = 'its guard process exited';
        service.child.on('message', (m: ServiceMessage) => {
          if (m.type === 'exited') how = m.signal ?? `code ${m.code}`;
        });
        service.child.once('exit', () => resolve(how));
      });
      return { url: `redis://${auth}${host}:${port}`, port, pid, stop: () => service.stop(), exited };
    } catch (err) {
      await service.stop();
      const portTaken = /Address already in use/i.test(service.output());
      if (portTaken && options.port === undefined && attempt < 3) continue;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(REDIS_NOT_FOUND_MESSAGE, { cause: err });
      throw err;
    }
  }
}
