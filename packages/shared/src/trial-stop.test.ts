import { describe, expect, it } from 'vitest';
import { isStopReason, stopReasonOf } from './trial-stop.js';

describe('stopReasonOf', () => {
  it('reads the reason an AbortSignal was aborted with', () => {
    const stop = new AbortController();
    stop.abort('cancel');
    expect(stopReasonOf(stop.signal)).toBe('cancel');
  });

  it('counts an abort without one of our reasons as a shutdown', () => {
    const stop = new AbortController();
    stop.abort();
    expect(stopReasonOf(stop.signal)).toBe('shutdown');
    expect(stopReasonOf(AbortSignal.abort('something else'))).toBe('shutdown');
  });

  it('knows its reasons', () => {
    expect(isStopReason('shutdown')).toBe(true);
    expect(isStopReason('Shutdown')).toBe(false);
    expect(isStopReason(undefined)).toBe(false);
  });
});
