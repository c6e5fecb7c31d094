/**
 * The Redis side of adaptive search, against a real redis-server: suggestions made by many
 * workers at once form one linear, duplicate-free record that replays to the same trials, and
 * rung decisions taken at once by many workers are taken once each.
 */
import type { SweepSpec } from '@denoise-sweep/shared';
import type { SuggestionEntry } from '@denoise-sweep/shared';
import {
  computeSuggestion, decideAtRung, decideOnRung, parseSweepText, recordOutcome, searchPayloadOf, searchPolicyOf, suggestForSlot,
} from '@denoise-sweep/shared';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useLocalServices } from './helpers/services.js';

const services = useLocalServices({ s3: false });
const connections: Redis[] = [];
beforeAll(() => {
  for (let i = 0; i < 4; i++) connections.push(new Redis(services.redis.url));
});
afterAll(() => {
  for (const c of connections) c.disconnect();
});
const redis = () => connections[0]!;

function spec(method: 'bayes' | 'tpe', name: string): SweepSpec {
  return parseSweepText([
    `name: ${name}`,
    `method: ${method}`,
    'metric: {name: psnr, goal: maximize}',
    'run_cap: 14',
    'parameters:',
    '  learning_rate: {distribution: log_uniform_values, min: 0.00001, max: 0.1}',
    '  batch_size: {values: [32, 64, 128]}',
    '  filters: {values: [8, [8, 16]]}',
    '',
  ].join('\n'), `${name}.yaml`);
}

/** A made-up PSNR that peaks at lr 1e-3, batch 64: what a worker would record. */
const psnrOf = (params: { learning_rate: number; batch_size: number }) =>
  30 - (Math.log10(params.learning_rate) + 3) ** 2 - Math.abs(Math.log2(params.batch_size / 64));

async function records(sweep: string): Promise<SuggestionEntry[]> {
  return (await redis().lrange(`bull:denoise-sweep-trials:adaptive:${sweep}:record`, 0, -1)).map((t) => JSON.parse(t) as SuggestionEntry);
}

describe.each(['tpe', 'bayes'] as const)('%s suggestions in Redis', (method) => {
  it('four workers at once: one linear record, no duplicates, each slot suggested once, and the record replays', async () => {
    const s = spec(method, `${method} parallel`);
    const sweep = `${method}-parallel`;
    const policy = searchPolicyOf(searchPayloadOf(s), 'test');
    // Four workers take slots as they come free; each records its trial's outcome after it.
    let next = 0;
    await Promise.all(connections.map(async (conn) => {
      while (next < 14) {
        const slot = next++;
        const trial = (await suggestForSlot(conn, sweep, slot, policy))?.trial;
        expect(trial).toBeDefined();
        await recordOutcome(conn, sweep, trial!.id, { state: 'completed', value: psnrOf(trial!.params) });
      }
    }));
    const entries = await records(sweep);
    expect(entries.map((e) => e.index)).toEqual([...Array(14).keys()]);
    expect(new Set(entries.map((e) => e.slot)).size).toBe(14);
    expect(new Set(entries.map((e) => JSON.stringify(e.trial.params))).size).toBe(14);
    // Each entry is what the pure function gives for what it saw: the record is its own proof.
    entries.forEach((entry, i) => {
      expect(computeSuggestion(policy, sweep, entries.slice(0, i), entry.seen)).toEqual(entry.trial);
      expect(entry.seen).toHaveLength(i);
    });
    // A slot asked again (a retried job) gets the trial it already has.
    expect((await suggestForSlot(connections[2]!, sweep, 5, policy))?.trial).toEqual(entries.find((e) => e.slot === 5)!.trial);
  });

  it('the same sweep run again with one worker suggests the same trials in the same order', async () => {
    const s = spec(method, `${method} serial`);
    const policy = searchPolicyOf(searchPayloadOf(s), 'test');
    const runOnce = async () => {
      const trials: string[] = [];
      for (let slot = 0; slot < 12; slot++) {
        const trial = (await suggestForSlot(redis(), 'serial', slot, policy))!.trial;
        await recordOutcome(redis(), 'serial', trial.id, slot === 3 ? { state: 'failed' } : { state: 'completed', value: psnrOf(trial.params) });
        trials.push(trial.id);
      }
      const keys = await redis().keys('bull:denoise-sweep-trials:adaptive:serial:*');
      await redis().del(...keys);
      return trials;
    };
    const first = await runOnce();
    expect(new Set(first).size).toBe(12);
    expect(await runOnce()).toEqual(first);
  });
});

describe('rung decisions in Redis', () => {
  const et = { type: 'asha', grace_period: 1, reduction_factor: 2, max_t: 4, brackets: 1, mode: 'pause', strict: false } as const;

  it('the rule: a worse arrival pauses itself and promotes a paused trial that now ranks in the top half', () => {
    const table = { losses: new Map([['t1', 0.1], ['t2', 0.3]]), decisions: new Map([['t1', 'continue'], ['t2', 'paused']] as const) };
    expect(decideOnRung(et, table, 't3', 0.5)).toEqual({ decision: 'paused', promoted: ['t2'] });
    expect(decideOnRung(et, table, 't3', 0.2)).toEqual({ decision: 'continue', promoted: [] });
    expect(decideOnRung({ ...et, mode: 'stop' }, table, 't3', 0.5)).toEqual({ decision: 'stopped', promoted: [] });
  });

  it('strict: early arrivals wait paused, and the best floor(n/rf) are promoted as the rung fills', () => {
    const strict = { ...et, reduction_factor: 3, strict: true } as const;
    const table = { losses: new Map<string, number>(), decisions: new Map<string, 'continue' | 'paused' | 'stopped' | 'promoted'>() };
    const arrive = (trial: string, loss: number) => {
      const outcome = decideOnRung(strict, table, trial, loss);
      table.losses.set(trial, loss);
      table.decisions.set(trial, outcome.decision);
      for (const p of outcome.promoted) table.decisions.set(p, 'promoted');
      return outcome;
    };
    expect(arrive('t1', 0.2)).toEqual({ decision: 'paused', promoted: [] });
    expect(arrive('t2', 0.5)).toEqual({ decision: 'paused', promoted: [] });
    // The third fills the first place: the best of the three (t1, paused) is promoted.
    expect(arrive('t3', 0.4)).toEqual({ decision: 'paused', promoted: ['t1'] });
    expect(arrive('t4', 0.6)).toEqual({ decision: 'paused', promoted: [] });
    expect(arrive('t5', 0.7)).toEqual({ decision: 'paused', promoted: [] });
    // Six: two places; an arrival better than every paused trial takes the second itself.
    expect(arrive('t6', 0.1)).toEqual({ decision: 'continue', promoted: [] });
    expect(arrive('t7', 0.8)).toEqual({ decision: 'paused', promoted: [] });
    expect(arrive('t8', 0.9)).toEqual({ decision: 'paused', promoted: [] });
    // Nine: three places, the third is t3's.
    expect(arrive('t9', 0.95)).toEqual({ decision: 'paused', promoted: ['t3'] });
    const passed = [...table.decisions].filter(([, d]) => d !== 'paused').map(([t]) => t).sort();
    expect(passed).toEqual(['t1', 't3', 't6']);
  });

  it('many workers reporting at once: one decision per trial, each promotion once, and a report again is idempotent', async () => {
    const losses = Array.from({ length: 24 }, (_, i) => ((i * 7) % 24) / 24);
    const outcomes = await Promise.all(losses.map((loss, i) =>
      decideAtRung(connections[i % 4]!, et, { sweep: 'rungs', trial: `t${i}`, job: `job-${i}`, bracket: 0, rung: 1, loss })));
    const decisions = await redis().hgetall('bull:denoise-sweep-trials:rung-decisions:rungs:0:1');
    expect(Object.keys(decisions)).toHaveLength(24);
    const promoted = outcomes.flatMap((o) => o.promoted);
    expect(new Set(promoted).size).toBe(promoted.length);
    const final = Object.fromEntries(Object.entries(decisions).map(([t, d]) => [t, (JSON.parse(d) as { decision: string }).decision]));
    expect(promoted.sort()).toEqual(Object.entries(final).filter(([, d]) => d === 'promoted').map(([t]) => `job-${t.slice(1)}`).sort());
    // Whatever the order, no paused trial ranks in the top half of the rung at the end: it
    // would have been promoted. And the best trial always went on.
    const sorted = [...losses].sort((a, b) => a - b);
    const median = (sorted[11]! + sorted[12]!) / 2;
    for (const [trial, decision] of Object.entries(final)) {
      const loss = losses[Number(trial.slice(1))]!;
      if (decision === 'paused') expect(loss).toBeGreaterThan(median - 1e-9);
    }
    expect(final.t0).not.toBe('paused');
    // Reporting again (a worker died after its checkpoint) returns the stored decision.
    const again = await decideAtRung(redis(), et, { sweep: 'rungs', trial: 't5', job: 'job-5', bracket: 0, rung: 1, loss: 0 });
    expect(again).toEqual({ decision: final.t5, promoted: [] });
  });
});
