/**
 * Security by configuration: Redis with a password over TLS (rediss://) and S3 over HTTPS work
 * through the environment alone (NODE_EXTRA_CA_CERTS trusts the test's own CA), and a planted
 * secret (the Redis password) never shows up in logs, errors, metrics or stored files.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { findFreePort } from '@denoise-sweep/orchestrator/local';
import type { S3ObjectStore } from '@denoise-sweep/shared/s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as h from './helpers/sweep-harness.js';
import { useLocalServices } from './helpers/services.js';

const services = useLocalServices({ redis: false });
const SECRET = `planted-${randomBytes(12).toString('hex')}`;
let store: S3ObjectStore;
let certDir: string;
let redisTls: ChildProcess;
let redisUrl: string;
let httpsProxy: Server;
let s3HttpsEndpoint: string;
const children: (ChildProcess & { log?: string[] })[] = [];

/** A CA and a server certificate for 127.0.0.1 / localhost, made with openssl. */
function makeCertificates(dir: string): void {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=denoise-sweep test CA');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'san.ext');
}

beforeAll(async () => {
  store = await services.newStore();
  certDir = join(services.dir, 'certs');
  mkdirSync(certDir, { recursive: true });
  makeCertificates(certDir);

  const tlsPort = await findFreePort();
  redisTls = spawn('redis-server', [
    '--port', '0', '--tls-port', String(tlsPort), '--bind', '127.0.0.1',
    '--tls-cert-file', join(certDir, 'server.pem'), '--tls-key-file', join(certDir, 'server.key'),
    '--tls-ca-cert-file', join(certDir, 'ca.pem'), '--tls-auth-clients', 'no',
    '--requirepass', SECRET, '--save', '', '--appendonly', 'no', '--dir', services.dir,
  ], { stdio: 'ignore' });
  children.push(redisTls);
  redisUrl = `rediss://:${SECRET}@127.0.0.1:${tlsPort}`;

  // HTTPS in front of s3rver: TLS terminated here, bytes passed through. It runs in this
  // process, so the programs under test are started asynchronously (spawnSync would deadlock).
  const s3 = new URL(services.s3.endpoint);
  const httpsPort = await findFreePort();
  httpsProxy = createServer({ key: readFileSync(join(certDir, 'server.key')), cert: readFileSync(join(certDir, 'server.pem')) }, (client: Socket) => {
    const upstream = connect(Number(s3.port), s3.hostname);
    client.pipe(upstream).pipe(client);
    const close = () => { client.destroy(); upstream.destroy(); };
    client.on('error', close);
    upstream.on('error', close);
  });
  await new Promise<void>((resolve) => httpsProxy.listen(httpsPort, '127.0.0.1', resolve));
  s3HttpsEndpoint = `https://127.0.0.1:${httpsPort}`;
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await new Promise<void>((resolve) => httpsProxy?.close(() => resolve()));
});

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return h.serviceEnv(services, store, {
    REDIS_URL: redisUrl,
    S3_ENDPOINT: s3HttpsEndpoint,
    NODE_EXTRA_CA_CERTS: join(certDir, 'ca.pem'),
    ...extra,
  });
}

describe('security', () => {
  it('runs a sweep over rediss:// with a password and S3 over HTTPS, and never reveals the password', async () => {
    const file = join(services.dir, 'secure.yaml');
    writeFileSync(file, h.sweepYaml('secure', [0.4], { epochs: 1, trainLimit: 256 }));
    const { trials } = h.sweepOf('secure', [0.4], { epochs: 1, trainLimit: 256 });
    const enqueue = await h.orchestratorAsync(env(), 'sweep', file, '--detach');
    expect(enqueue.status, enqueue.stderr).toBe(0);

    const metricsPort = await findFreePort();
    const worker = h.startWorker(env(), ['--metrics-host', '127.0.0.1', '--metrics-port', String(metricsPort)]);
    children.push(worker);
    await h.until('the result', () => h.readResult(store, 'secure', trials[0]!.id), 180_000);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toContain('denoise_sweep_worker_trials_completed_total 1');

    const status = await h.orchestratorAsync(env(), 'status', 'secure');
    expect(status.status, status.stderr).toBe(0);
    // Errors that name the Redis URL: a wrong port, and a wrong password.
    const unreachable = await h.orchestratorAsync(env({ REDIS_URL: `rediss://:${SECRET}@127.0.0.1:1` }), 'status', 'secure');
    expect(unreachable.status).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot reach Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1:1/);
    const wrongPassword = await h.orchestratorAsync(env({ REDIS_URL: redisUrl.replace(SECRET, `${SECRET}-wrong`) }), 'status', 'secure');
    expect(wrongPassword.status).toBe(1);

    worker.kill('SIGTERM');
    await h.exited(worker);
    const stored = await Promise.all((await store.list('')).map(async (key) => Buffer.from((await store.get(key))!).toString('latin1')));
    const places: Record<string, string> = {
      'worker log': worker.log.join(''),
      'orchestrator sweep output': enqueue.stdout + enqueue.stderr,
      'orchestrator status output': status.stdout + status.stderr,
      'unreachable Redis error': unreachable.stdout + unreachable.stderr,
      'wrong password error': wrongPassword.stdout + wrongPassword.stderr,
      'worker metrics': metrics,
      'stored objects': stored.join('\n'),
    };
    expect(stored.length).toBeGreaterThan(10);
    for (const [place, text] of Object.entries(places)) {
      expect(text.includes(SECRET), `the planted secret appears in the ${place}`).toBe(false);
    }
  });
});
