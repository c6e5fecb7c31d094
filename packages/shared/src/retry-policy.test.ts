import { describe, expect, it } from 'vitest';
import { RetryExhaustedError, maxRetryWaitMs, resolveRetryOptions, retryDelayMs, withRetry } from './retry-policy.js';

describe('retry policy', () => {
  it('doubles the delay from the base up to the cap, with at most half of it random', () => {
    const o = resolveRetryOptions({ maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 500 });
    expect([1, 2, 3, 4, 5].map((a) => retryDelayMs(a, o, () => 1))).toEqual([100, 200, 400, 500, 500]);
    expect([1, 2, 3, 4, 5].map((a) => retryDelayMs(a, o, () => 0))).toEqual([50, 100, 200, 250, 250]);
    expect(maxRetryWaitMs(o)).toBe(1700);
    expect(maxRetryWaitMs(resolveRetryOptions())).toBe(500 + 1000 + 2000 + 4000 + 8000 + 16000 + 3 * 30000);
  });

  it('retries transient failures until one succeeds, and stops at once on a permanent one', async () => {
    const o = resolveRetryOptions({ maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 2 });
    let calls = 0;
    const { value, attempts } = await withRetry(async () => { if (++calls < 3) throw new Error('flaky'); return 'ok'; }, o, () => true);
    expect([value, attempts]).toEqual(['ok', 3]);

    calls = 0;
    const error = await withRetry(async () => { calls++; throw new Error('bad config'); }, o, () => false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryExhaustedError);
    expect(error).toMatchObject({ attempts: 1, transient: false, message: 'bad config' });
    expect(calls).toBe(1);

    const exhausted = await withRetry(async () => { throw new Error('down'); }, o, () => true).catch((e: unknown) => e);
    expect(exhausted).toMatchObject({ attempts: 5, transient: true });
  });

  it('rejects nonsense options', () => {
    expect(() => resolveRetryOptions({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => resolveRetryOptions({ baseDelayMs: -1 })).toThrow(/baseDelayMs/);
  });
});
