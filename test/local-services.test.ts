import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REDIS_NOT_FOUND_MESSAGE, findFreePort, startRedisServer } from '@denoise-sweep/orchestrator/local';
import { alive } from './helpers/processes.js';
import { startS3Server } from './helpers/s3-server.js';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'local-services-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function waitUntilDead(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !alive(pid);
}

/** Sends one inline command over a bare socket and returns the first reply line. */
async function rawCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.write(`${command}\r\n`));
    socket.once('data', (data) => {
      resolve(data.toString('utf8').split('\r\n')[0] ?? '');
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

describe('findFreePort', () => {
  it('returns a port that can be bound', async () => {
    const port = await findFreePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65_536);
  });
});

describe('startRedisServer', () => {
  it('starts Redis with an append-only file in dir, answers PING, and stop leaves no process', async () => {
    const dir = join(root, 'redis-a');
    const server = await startRedisServer({ dir });
    const client = new Redis(server.url, { lazyConnect: true });
    try {
      await client.connect();
      expect(await client.ping()).toBe('PONG');
      await client.set('k', 'v');
      const info = await client.info('server');
      expect(info).toContain(`process_id:${server.pid}`);
      expect(await client.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await client.config('GET', 'save')).toEqual(['save', '']);
    } finally {
      client.disconnect();
    }
    await server.stop();
    expect(alive(server.pid)).toBe(false);
    expect(readdirSync(join(dir, 'appendonlydir')).some((f) => f.endsWith('.aof'))).toBe(true);

    // The append-only file brings the data back after a restart.
    const again = await startRedisServer({ dir });
    const reader = new Redis(again.url, { lazyConnect: true });
    try {
      await reader.connect();
      expect(await reader.get('k')).toBe('v');
    } finally {
      reader.disconnect();
      await again.stop();
    }
  });

  it('requires the password when one is set', async () => {
    const server = await startRedisServer({ dir: join(root, 'redis-pw'), password: 'p@ss word' });
    const authed = new Redis(server.url, { lazyConnect: true });
    try {
      expect(server.url).toBe(`redis://:p%40ss%20word@127.0.0.1:${server.port}`);
      expect(await rawCommand(server.port, 'PING')).toMatch(/^-NOAUTH/);
      await authed.connect();
      expect(await authed.ping()).toBe('PONG');
    } finally {
      authed.disconnect();
      await server.stop();
    }
  });

  it('says how to install redis-server when it is missing', async () => {
    await expect(startRedisServer({ dir: join(root, 'redis-none'), redisServerPath: join(root, 'no', 'redis-server') }))
      .rejects.toThrow(REDIS_NOT_FOUND_MESSAGE);
    expect(REDIS_NOT_FOUND_MESSAGE).toBe("redis-server not found: install it with 'apt-get install redis-server' or set REDIS_URL to use an existing Redis");
  });
});

describe('startS3Server', () => {
  it('serves the bucket from dir on the requested port, and stop leaves no process', async () => {
    const port = await findFreePort();
    const server = await startS3Server({ dir: join(root, 's3-a'), port, bucket: 'my-bucket' });
    expect(server.endpoint).toBe(`http://127.0.0.1:${port}`);
    expect(existsSync(join(root, 's3-a', 'my-bucket'))).toBe(true);
    const response = await fetch(`${server.endpoint}/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("<Name>my-bucket</Name>");
    await server.stop();
    expect(alive(server.pid)).toBe(false);
  });

  it('fails clearly when the port is taken', async () => {
    const first = await startS3Server({ dir: join(root, 's3-b'), bucket: 'b' });
    try {
      await expect(startS3Server({ dir: join(root, 's3-c'), port: first.port, bucket: 'b' })).rejects.toThrow(/s3rver: .*EADDRINUSE|address already in use/i);
    } finally {
      await first.stop();
    }
  });
});

describe('when the parent dies', () => {
  it('Redis and s3rver exit too (no orphans after SIGKILL)', async () => {
    const parent = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'start-local-services.ts'), join(root, 'orphans')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: parent.stdout! });
      lines.once('line', resolve);
      parent.once('exit', (code) => reject(new Error(`fixture exited with ${code}`)));
    });
    const pids = JSON.parse(line) as { redis: number; s3: number };
    expect(alive(pids.redis) && alive(pids.s3)).toBe(true);
    parent.kill('SIGKILL');
    expect(await waitUntilDead(pids.redis)).toBe(true);
    expect(await waitUntilDead(pids.s3)).toBe(true);
  });
});
