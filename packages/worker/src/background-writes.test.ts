import { describe, expect, it } from 'vitest';
import { BackgroundWrites } from './background-writes.js';

describe('BackgroundWrites', () => {
  it('runs writes one after another, each started up to its first await before start returns', async () => {
    const writes = new BackgroundWrites();
    const events: string[] = [];
    let release: () => void = () => {};
    await writes.start(async () => {
      events.push('a begins');
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      events.push('a ends');
    });
    events.push('after start');
    const second = writes.start(async () => {
      events.push('b begins');
    });
    await Promise.resolve();
    expect(events).toEqual(['a begins', 'after start']);
    release();
    await second;
    await writes.settle();
    expect(events).toEqual(['a begins', 'after start', 'a ends', 'b begins']);
  });

  it('throws a failed write\'s error once, at the next settle or start; drain drops it', async () => {
    const writes = new BackgroundWrites();
    await writes.start(() => Promise.reject(new Error('store down')));
    await expect(writes.settle()).rejects.toThrow('store down');
    await expect(writes.settle()).resolves.toBeUndefined();
    await writes.start(() => Promise.reject(new Error('again')));
    await expect(writes.start(async () => {})).rejects.toThrow('again');
    await writes.start(() => Promise.reject(new Error('ignored')));
    await expect(writes.drain()).resolves.toBeUndefined();
    await expect(writes.settle()).resolves.toBeUndefined();
  });
});
