/** An object store that counts the requests made through it, for the benchmarks. */
import type { ObjectStore } from '@denoise-sweep/shared';

export function countingStore(store: ObjectStore): { store: ObjectStore; requests: () => number } {
  let n = 0;
  const counted = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (prop !== 'uri' && prop !== 'close') n += 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: counted, requests: () => n };
}
