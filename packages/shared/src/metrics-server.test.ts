import { describe, expect, it } from 'vitest';
import { serveMetrics } from './metrics-server.js';

describe('serveMetrics', () => {
  it('serves /metrics and /healthz on loopback, 404 elsewhere', async () => {
    const server = await serveMetrics({ port: 0, render: async () => ({ contentType: 'text/plain; version=0.0.4', body: 'up 1\n' }) });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const metrics = await fetch(server.url);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toBe('up 1\n');
      expect((await fetch(server.url.replace('/metrics', '/healthz'))).status).toBe(200);
      expect((await fetch(server.url.replace('/metrics', '/other'))).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('says which port could not be bound', async () => {
    const first = await serveMetrics({ port: 0, render: async () => ({ contentType: 'text/plain', body: '' }) });
    try {
      await expect(serveMetrics({ port: first.port, render: async () => ({ contentType: 'text/plain', body: '' }) }))
        .rejects.toThrow(new RegExp(`cannot serve metrics on 127.0.0.1:${first.port} \\(EADDRINUSE\\)`));
    } finally {
      await first.close();
    }
  });
});
