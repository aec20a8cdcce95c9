import type { KeyValue } from '../store.js';
import type { HotState } from './hot-state.js';

/** A hot-state map as a KeyValue: reads from memory, every change journaled. */
export function hotKeyValue<T>(hot: HotState, name: string): KeyValue<T> {
  const map = hot.maps[name] as Map<string, T>;
  return {
    get: (key) => map.get(key),
    fetch: async (key) => map.get(key),
    fetchMany: async (keys) => pick(map, keys),
    all: async () => [...map.values()],
    set: (key, value) => hot.set(name, key, value),
    delete: (key) => hot.delete(name, key),
    values: () => map.values(),
    entries: () => map.entries(),
    get size() {
      return map.size;
    },
  };
}

/** A map kept only in memory (rebuilt at open), as a KeyValue. */
export function memoryKeyValue<T>(map: Map<string, T>): KeyValue<T> {
  return {
    get: (key) => map.get(key),
    fetch: async (key) => map.get(key),
    fetchMany: async (keys) => pick(map, keys),
    all: async () => [...map.values()],
    set: (key, value) => void map.set(key, value),
    delete: (key) => void map.delete(key),
    values: () => map.values(),
    entries: () => map.entries(),
    get size() {
      return map.size;
    },
  };
}

/** The entries of `map` under `keys` (the ones it has). */
export function pick<T>(map: ReadonlyMap<string, T>, keys: readonly string[]): Map<string, T> {
  const found = new Map<string, T>();
  // A miss is not free: each key is hashed and probed (the parked receipts, looked up under seven
  // keys after every send, are almost always none).
  if (map.size === 0) return found;
  for (const key of keys) {
    const value = map.get(key);
    if (value !== undefined) found.set(key, value);
  }
  return found;
}

/** `fetchMany` for a collection that reads one key at a time. */
export async function fetchEach<T>(fetch: (key: string) => Promise<T | undefined>, keys: readonly string[]): Promise<Map<string, T>> {
  const found = new Map<string, T>();
  for (const key of keys) {
    const value = await fetch(key);
    if (value !== undefined) found.set(key, value);
  }
  return found;
}
