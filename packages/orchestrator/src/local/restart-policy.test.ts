import { describe, expect, it } from 'vitest';
import { RestartPolicy } from './restart-policy.js';

describe('RestartPolicy', () => {
  it('backs off 1, 2, 4, 8 s and gives up at the fifth crash within the window', () => {
    const t = 0;
    const policy = new RestartPolicy(5, 60_000, () => t);
    expect([policy.crashed(), policy.crashed(), policy.crashed(), policy.crashed()]).toEqual([1000, 2000, 4000, 8000]);
    expect(policy.crashed()).toBeUndefined();
  });

  it('forgets crashes older than the window', () => {
    let t = 0;
    const policy = new RestartPolicy(3, 60_000, () => t);
    policy.crashed();
    policy.crashed();
    t = 61_000;
    expect(policy.crashed()).toBe(1000);
    expect(policy.recent).toBe(1);
  });
});
