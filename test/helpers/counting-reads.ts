/** A store that counts its reads (get) and listings (list), for tests of how often code asks the store. */
import type { ObjectStore } from '@denoise-sweep/shared';

export function countingReads(objects: ObjectStore): { store: ObjectStore; counts: { gets: number; lists: number } } {
  const counts = { gets: 0, lists: 0 };
  const store: ObjectStore = Object.assign(Object.create(objects) as ObjectStore, {
    get: async (key: string) => {
      counts.gets += 1;
      return objects.get(key);
    },
    list: async (prefix: string) => {
      counts.lists += 1;
      return objects.list(prefix);
    },
  });
  return { store, counts };
}
