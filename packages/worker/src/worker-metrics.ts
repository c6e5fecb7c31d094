import { hostname } from 'node:os';
import { WORKER_METRICS as M } from '@denoise-sweep/shared';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, exponentialBuckets } from 'prom-client';
import type { FromChild } from './child-messages.js';

/**
 * The worker's Prometheus metrics, one registry per process. Labels are bounded: engine,
 * kernels and GPU device, a slot number per concurrency slot, a reason from a fixed set;
 * never job or trial ids.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  private engine = 'unknown';
  private readonly info = new Gauge({ name: M.info, help: 'Worker build and engine; always 1', labelNames: ['engine', 'kernels', 'device', 'version', 'host'], registers: [this.registry] });
  private readonly images = new Counter({ name: M.imagesTrained, help: 'Training images processed (one per image per epoch)', labelNames: ['engine'], registers: [this.registry] });
  private readonly imagesPerSecond = new Gauge({ name: M.imagesPerSecond, help: 'Training throughput over the last progress report', labelNames: ['engine', 'slot'], registers: [this.registry] });
  private readonly batchDuration = new Histogram({
    name: M.batchDuration,
    help: 'Wall time of one optimizer step (forward, backward, update)',
    // 1 ms to about 9 hours: from tiny CPU batches to huge ones.
    buckets: exponentialBuckets(0.001, 4, 13),
    registers: [this.registry],
  });
  private readonly epochDuration = new Histogram({ name: M.epochDuration, help: 'Wall time of one epoch of training, evaluation excluded', buckets: exponentialBuckets(0.1, 3, 13), registers: [this.registry] });
  readonly trialsStarted = new Counter({ name: M.trialsStarted, help: 'Trials this worker started training', registers: [this.registry] });
  readonly trialsCompleted = new Counter({ name: M.trialsCompleted, help: 'Trials this worker completed', registers: [this.registry] });
  readonly trialsFailed = new Counter({ name: M.trialsFailed, help: 'Trial attempts that failed', labelNames: ['reason'], registers: [this.registry] });
  readonly trialsResumed = new Counter({ name: M.trialsResumed, help: 'Trials that resumed from a checkpoint', registers: [this.registry] });
  readonly trialsStopped = new Counter({ name: M.trialsStopped, help: 'Trials stopped after a checkpoint (shutdown, cancel, pause at a rung)', labelNames: ['reason'], registers: [this.registry] });
  readonly suggestions = new Counter({ name: M.suggestions, help: 'Trials this worker suggested for slots of adaptive sweeps', labelNames: ['method'], registers: [this.registry] });
  readonly rungDecisions = new Counter({
    name: M.rungDecisions,
    help: 'Early-termination decisions this worker took at rungs (continue, paused, stopped, promoted) and paused trials it put back in the queue (promoted-resumed)',
    labelNames: ['decision'],
    registers: [this.registry],
  });
  private readonly checkpointBytes = new Counter({ name: M.checkpointUploadBytes, help: 'Bytes of checkpoints uploaded', registers: [this.registry] });
  private readonly checkpointDuration = new Histogram({ name: M.checkpointUploadDuration, help: 'Wall time of one checkpoint upload', buckets: exponentialBuckets(0.01, 3, 12), registers: [this.registry] });
  private readonly checkpointFailures = new Counter({ name: M.checkpointUploadFailures, help: 'Checkpoint uploads that failed after retries', registers: [this.registry] });
  private readonly trialEpoch = new Gauge({ name: M.trialEpoch, help: 'Epochs done by the trial in this slot', labelNames: ['slot'], registers: [this.registry] });
  private readonly trialEpochs = new Gauge({ name: M.trialEpochs, help: 'Epochs of the trial in this slot', labelNames: ['slot'], registers: [this.registry] });
  private readonly trialProgress = new Gauge({ name: M.trialProgress, help: 'Progress of the trial in this slot, 0..1', labelNames: ['slot'], registers: [this.registry] });
  private readonly lastTrainLoss = new Gauge({ name: M.lastTrainLoss, help: 'Last batch loss of the trial in this slot', labelNames: ['slot'], registers: [this.registry] });
  private readonly lastValLoss = new Gauge({ name: M.lastValLoss, help: 'Last epoch validation MSE of the trial in this slot', labelNames: ['slot'], registers: [this.registry] });
  private readonly tensors = new Gauge({ name: M.tfjsTensors, help: 'Live tfjs tensors in the training child after its last trial', labelNames: ['slot'], registers: [this.registry] });
  private readonly tensorBytes = new Gauge({ name: M.tfjsBytes, help: 'Bytes held by live tfjs tensors in the training child after its last trial', labelNames: ['slot'], registers: [this.registry] });
  readonly activeTrials = new Gauge({ name: M.activeTrials, help: 'Trials training now', registers: [this.registry] });

  constructor(private readonly version: string) {
    collectDefaultMetrics({ register: this.registry });
    // Labelled series exist only once used: start them at 0 so that rate() and increase()
    // count a worker's first failure or stop too.
    for (const reason of ['error', 'unrecoverable']) this.trialsFailed.inc({ reason }, 0);
    for (const reason of ['shutdown', 'cancel', 'pause']) this.trialsStopped.inc({ reason }, 0);
    for (const method of ['bayes', 'tpe']) this.suggestions.inc({ method }, 0);
    for (const decision of ['continue', 'paused', 'stopped', 'promoted', 'promoted-resumed']) this.rungDecisions.inc({ decision }, 0);
    this.info.set({ engine: 'starting', kernels: 'unknown', device: '', version, host: hostname() }, 1);
  }

  /** Feeds a training child's message of concurrency slot `slot` into the metrics. */
  observe(slot: number, message: FromChild): void {
    const labels = { slot: String(slot) };
    switch (message.type) {
      case 'ready':
        this.engine = message.engine;
        this.info.reset();
        this.info.set({ engine: message.engine, kernels: message.kernels, device: message.device, version: this.version, host: hostname() }, 1);
        break;
      case 'batches': {
        const total = message.seconds.reduce((a, b) => a + b, 0);
        for (const s of message.seconds) this.batchDuration.observe(s);
        this.images.inc({ engine: this.engine }, message.images);
        if (total > 0) this.imagesPerSecond.set({ engine: this.engine, slot: String(slot) }, message.images / total);
        this.lastTrainLoss.set(labels, message.trainLoss);
        break;
      }
      case 'resumed':
        this.trialsResumed.inc();
        break;
      case 'epoch':
        this.epochDuration.observe(message.trainSeconds);
        this.lastValLoss.set(labels, message.valLoss);
        break;
      case 'checkpoint':
        if (message.ok) {
          this.checkpointBytes.inc(message.bytes);
          this.checkpointDuration.observe(message.seconds);
        } else {
          this.checkpointFailures.inc();
        }
        break;
      case 'progress': {
        const p = message.progress;
        this.trialEpoch.set(labels, p.epoch);
        this.trialEpochs.set(labels, p.epochs);
        const inEpoch = p.batches > 0 ? p.batch / p.batches : 0;
        this.trialProgress.set(labels, p.epochs > 0 ? Math.min(1, (p.epoch + inEpoch) / p.epochs) : 0);
        break;
      }
      case 'done':
        this.tensors.set(labels, message.tensors);
        this.tensorBytes.set(labels, message.tensorBytes);
        this.imagesPerSecond.set({ engine: this.engine, slot: String(slot) }, 0);
        break;
      default:
        break;
    }
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
