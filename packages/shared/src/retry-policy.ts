/**
 * Exponential backoff with bounded patience for transient failures of remote stores. The
 * defaults ride out about two minutes of an unreachable store, long enough for a MinIO or
 * Redis restart, short enough that a misconfigured endpoint fails before anyone wonders.
 */
export interface RetryOptions {
  /** Tries in all, the first included; 1 disables retries. @defaultValue 10 */
  maxAttempts: number;
  /** Delay before the second try; each later one doubles it, with jitter. @defaultValue 500 */
  baseDelayMs: number;
  /** Cap on a single delay. @defaultValue 30000 */
  maxDelayMs: number;
}

const DEFAULT_RETRY_OPTIONS: Readonly<RetryOptions> = Object.freeze({ maxAttempts: 10, baseDelayMs: 500, maxDelayMs: 30_000 });

export function resolveRetryOptions(options: Partial<RetryOptions> = {}): RetryOptions {
  const resolved = { ...DEFAULT_RETRY_OPTIONS, ...options };
  if (!Number.isInteger(resolved.maxAttempts) || resolved.maxAttempts < 1) {
    throw new RangeError(`retry maxAttempts must be an integer >= 1, got ${resolved.maxAttempts}`);
  }
  for (const name of ['baseDelayMs', 'maxDelayMs'] as const) {
    if (!Number.isFinite(resolved[name]) || resolved[name] < 0) throw new RangeError(`retry ${name} must be >= 0, got ${resolved[name]}`);
  }
  return resolved;
}

/**
 * The wait after failed attempt number `attempt` (1-based): base * 2^(attempt-1), capped, with
 * "equal jitter" (half fixed, half random) so that many workers do not retry in lockstep.
 */
export function retryDelayMs(attempt: number, options: RetryOptions, random: () => number = Math.random): number {
  const exponential = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

/** The longest total wait a policy can spend between attempts (for messages and docs). */
export function maxRetryWaitMs(options: RetryOptions): number {
  let total = 0;
  for (let attempt = 1; attempt < options.maxAttempts; attempt++) {
    total += Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  }
  return total;
}

export interface RetryState {
  attempt: number;
  error: unknown;
  delayMs: number;
}

/**
 * Runs op until it succeeds, throws an error isRetryable rejects, or maxAttempts is spent;
 * the last error is rethrown with the attempts made recorded by the caller's wrapper.
 */
export async function withRetry<T>(
  op: (attempt: number) => Promise<T>,
  options: RetryOptions,
  isRetryable: (error: unknown) => boolean,
  onRetry?: (state: RetryState) => void,
): Promise<{ value: T; attempts: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await op(attempt), attempts: attempt };
    } catch (error) {
      if (attempt >= options.maxAttempts || !isRetryable(error)) throw new RetryExhaustedError(error, attempt, isRetryable(error));
      const delayMs = retryDelayMs(attempt, options);
      onRetry?.({ attempt, error, delayMs });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/** Carries the last error of withRetry, how many attempts were made and whether it was transient. */
export class RetryExhaustedError extends Error {
  constructor(readonly lastError: unknown, readonly attempts: number, readonly transient: boolean) {
    super(lastError instanceof Error ? lastError.message : String(lastError), { cause: lastError });
    this.name = 'RetryExhaustedError';
  }
}
