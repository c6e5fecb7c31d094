import type { Redis } from 'ioredis';
import { passesRung, type EarlyTerminate } from './early-terminate.js';
import { QUEUE_NAME, QUEUE_PREFIX } from './queue-contract.js';

/*
 * Rung tables live in Redis, one pair of hashes per (sweep, bracket, rung): the loss each
 * trial recorded there, and the decision taken for it. A decision is taken once, when the
 * trial first reports at the rung, inside a WATCH/MULTI transaction over both hashes: two
 * workers deciding at once cannot both see the old table (one transaction fails and
 * retries), and a trial that reports again (its worker died after the checkpoint) gets the
 * decision already stored. Promotions of paused trials are decided in the same transaction
 * and queued in PROMOTIONS_KEY until their jobs are moved back to the queue.
 */

/** continue: passed the rung; paused / stopped: cut there; promoted: paused, then passed. */
export type RungDecision = 'continue' | 'paused' | 'stopped' | 'promoted';

interface StoredDecision {
  decision: RungDecision;
  /** The BullMQ job to move back to the queue on promotion. */
  job: string;
  at: string;
}

export interface RungReport {
  sweep: string;
  trial: string;
  job: string;
  bracket: number;
  rung: number;
  /** The sweep's metric at the rung's epoch, oriented so that lower is better. */
  loss: number;
}

export interface RungOutcome {
  decision: RungDecision;
  /** Jobs of paused trials that this report promoted (their decision is now 'promoted'). */
  promoted: string[];
}

const base = `${QUEUE_PREFIX}:${QUEUE_NAME}`;
const valuesKey = (sweep: string, bracket: number, rung: number) => `${base}:rung-values:${sweep}:${bracket}:${rung}`;
const decisionsKey = (sweep: string, bracket: number, rung: number) => `${base}:rung-decisions:${sweep}:${bracket}:${rung}`;
const rungIndexKey = (sweep: string) => `${base}:rungs:${sweep}`;
/** Jobs whose promotion was decided but not yet carried out (a worker died in between). */
const PROMOTIONS_KEY = `${base}:promotions`;
const MAX_ATTEMPTS = 100;

/** A rung as its table's name: `bracket:rung`. */
const rungName = (bracket: number, rung: number) => `${bracket}:${rung}`;

/**
 * Records a trial's loss at a rung and decides, atomically, whether it goes on; in pause mode
 * also promotes every paused trial of that rung that now passes it.
 */
export async function decideAtRung(redis: Redis, et: EarlyTerminate, report: RungReport): Promise<RungOutcome> {
  const values = valuesKey(report.sweep, report.bracket, report.rung);
  const decisions = decisionsKey(report.sweep, report.bracket, report.rung);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    await redis.watch(values, decisions);
    const [recorded, stored] = await Promise.all([redis.hgetall(values), redis.hgetall(decisions)]);
    const existing = stored[report.trial];
    if (existing !== undefined) {
      await redis.unwatch();
      return { decision: (JSON.parse(existing) as StoredDecision).decision, promoted: [] };
    }
    const losses = new Map(Object.entries(recorded).map(([trial, v]) => [trial, Number(v)]));
    const parsed = Object.entries(stored).map(([trial, text]) => [trial, JSON.parse(text) as StoredDecision] as const);
    const jobs = new Map(parsed.map(([trial, d]) => [trial, d.job]));
    const { decision, promoted: promotedTrials } = decideOnRung(et, { losses, decisions: new Map(parsed.map(([t, d]) => [t, d.decision])) }, report.trial, report.loss);
    const promoted = promotedTrials.map((trial) => ({ trial, job: jobs.get(trial) ?? '' }));
    const at = new Date().toISOString();
    const tx = redis.multi()
      .hset(values, report.trial, String(report.loss))
      .hset(decisions, report.trial, JSON.stringify({ decision, job: report.job, at } satisfies StoredDecision))
      .sadd(rungIndexKey(report.sweep), rungName(report.bracket, report.rung));
    for (const p of promoted) {
      tx.hset(decisions, p.trial, JSON.stringify({ decision: 'promoted', job: p.job, at } satisfies StoredDecision));
      tx.sadd(PROMOTIONS_KEY, p.job);
    }
    const result = await tx.exec();
    if (result !== null) return { decision, promoted: promoted.map((p) => p.job) };
  }
  throw new Error(`could not record trial ${report.trial} at rung ${report.rung}: the rung table kept changing`);
}

/** One rung's table: each trial's loss there and the decision taken for it. */
export interface RungTable {
  losses: ReadonlyMap<string, number>;
  decisions: ReadonlyMap<string, RungDecision>;
}

/**
 * The decision for a trial arriving at a rung with `loss`, and (in pause mode) the paused
 * trials its arrival promotes, best first: the rule itself, free of storage, so the search
 * benchmark replays exactly what workers decide. The caller records the new loss and decisions.
 */
export function decideOnRung(et: EarlyTerminate, table: RungTable, trial: string, loss: number): { decision: RungDecision; promoted: string[] } {
  const decision: RungDecision = passesRung(et, loss, [...table.losses.values()]) ? 'continue' : et.mode === 'pause' ? 'paused' : 'stopped';
  if (et.mode !== 'pause') return { decision, promoted: [] };
  const losses = new Map(table.losses).set(trial, loss);
  const promoted: { trial: string; loss: number }[] = [];
  for (const [other, d] of table.decisions) {
    const otherLoss = losses.get(other);
    if (d !== 'paused' || otherLoss === undefined) continue;
    const rest = [...losses].filter(([t]) => t !== other).map(([, v]) => v);
    if (passesRung(et, otherLoss, rest)) promoted.push({ trial: other, loss: otherLoss });
  }
  return { decision, promoted: promoted.sort((a, b) => a.loss - b.loss).map((p) => p.trial) };
}

/** The stored decision for a trial at a rung, if any (a resumed trial asks before going on). */
export async function decisionAt(redis: Redis, sweep: string, trial: string, bracket: number, rung: number): Promise<RungDecision | undefined> {
  const text = await redis.hget(decisionsKey(sweep, bracket, rung), trial);
  return text === null ? undefined : (JSON.parse(text) as StoredDecision).decision;
}

/** Jobs whose promotion is decided; `promotionDone` removes one once it is back in the queue. */
export async function pendingPromotions(redis: Redis): Promise<string[]> {
  return redis.smembers(PROMOTIONS_KEY);
}

export async function promotionDone(redis: Redis, job: string): Promise<void> {
  await redis.srem(PROMOTIONS_KEY, job);
}

const pausedKey = (sweep: string) => `${base}:paused:${sweep}`;

/** Marks a trial paused at a rung (before its job leaves the queue for the delayed set). */
export async function markPaused(redis: Redis, sweep: string, trial: string, rung: number): Promise<void> {
  await redis.hset(pausedKey(sweep), trial, String(rung));
}

/** The rung a trial is paused at, if it is. */
export async function pausedAt(redis: Redis, sweep: string, trial: string): Promise<number | undefined> {
  const v = await redis.hget(pausedKey(sweep), trial);
  return v === null ? undefined : Number(v);
}

/** Every paused trial of a sweep and its rung. */
export async function pausedTrials(redis: Redis, sweep: string): Promise<Map<string, number>> {
  return new Map(Object.entries(await redis.hgetall(pausedKey(sweep))).map(([t, r]) => [t, Number(r)]));
}

/** The trial's job is back in the queue: it is no longer paused. */
export async function clearPaused(redis: Redis, sweep: string, trial: string): Promise<void> {
  await redis.hdel(pausedKey(sweep), trial);
}

/** The epochs (rungs) at which each trial of a sweep was promoted, by trial. */
export async function promotionsOf(redis: Redis, sweep: string): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const name of await redis.smembers(rungIndexKey(sweep))) {
    const [bracket, rung] = name.split(':').map(Number) as [number, number];
    for (const [trial, text] of Object.entries(await redis.hgetall(decisionsKey(sweep, bracket, rung)))) {
      if ((JSON.parse(text) as StoredDecision).decision === 'promoted') out.set(trial, [...(out.get(trial) ?? []), rung].sort((a, b) => a - b));
    }
  }
  return out;
}
