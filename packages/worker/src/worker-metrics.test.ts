import { WORKER_METRICS } from '@denoise-sweep/shared';
import { describe, expect, it } from 'vitest';
import { WorkerMetrics } from './worker-metrics.js';

describe('WorkerMetrics', () => {
  it('turns training child messages into bounded-label metrics', async () => {
    const metrics = new WorkerMetrics('1.2.3');
    metrics.observe(0, { type: 'ready', engine: 'cpu', kernels: 'js-fast', device: '', skipped: [] });
    metrics.observe(0, { type: 'batches', images: 512, seconds: [0.5, 0.5], trainLoss: 0.03 });
    metrics.observe(0, { type: 'epoch', trainSeconds: 12, trainLoss: 0.03, valLoss: 0.025 });
    metrics.observe(0, { type: 'checkpoint', bytes: 1000, seconds: 0.2, ok: true });
    metrics.observe(0, { type: 'checkpoint', bytes: 0, seconds: 5, ok: false });
    metrics.observe(1, { type: 'resumed', checkpoint: 'epoch-0001' });
    metrics.observe(0, { type: 'progress', progress: { phase: 'training', worker: 'w', epoch: 1, epochs: 4, batch: 5, batches: 10, updated_at: 0 } });
    const { body } = await metrics.render();
    const value = (line: string) => body.split('\n').find((l) => l.startsWith(line))?.slice(line.length).trim();
    expect(body).toMatch(/denoise_sweep_worker_info\{engine="cpu",kernels="js-fast",device="",version="1.2.3",host="[^"]+"\} 1/);
    expect(value(`${WORKER_METRICS.imagesTrained}{engine="cpu"}`)).toBe('512');
    expect(value(`${WORKER_METRICS.imagesPerSecond}{engine="cpu",slot="0"}`)).toBe('512');
    expect(value(`${WORKER_METRICS.batchDuration}_count`)).toBe('2');
    expect(value(`${WORKER_METRICS.epochDuration}_sum`)).toBe('12');
    expect(value(`${WORKER_METRICS.checkpointUploadBytes}`)).toBe('1000');
    expect(value(`${WORKER_METRICS.checkpointUploadFailures}`)).toBe('1');
    expect(value(`${WORKER_METRICS.trialsResumed}`)).toBe('1');
    expect(value(`${WORKER_METRICS.lastValLoss}{slot="0"}`)).toBe('0.025');
    expect(value(`${WORKER_METRICS.trialProgress}{slot="0"}`)).toBe('0.375');
    expect(body).toContain('process_cpu_seconds_total');
    expect(body).not.toMatch(/trial="|job="/);
  });

  it('names the GPU adapter of the webgpu engine in the info metric, once', async () => {
    const metrics = new WorkerMetrics('1.2.3');
    metrics.observe(0, { type: 'ready', engine: 'webgpu', kernels: 'webgpu', device: 'NVIDIA H200 (nvidia)', skipped: [] });
    const { body } = await metrics.render();
    const info = body.split('\n').filter((l) => l.startsWith('denoise_sweep_worker_info{'));
    expect(info).toHaveLength(1);
    expect(info[0]).toMatch(/engine="webgpu",kernels="webgpu",device="NVIDIA H200 \(nvidia\)"/);
  });
});
