import type { KeyValue } from '../store.js';
import type { HotState } from './hot-state.js';

/** A hot-state map as a KeyValue: reads from memory, every change journaled. */
export function hotKeyValue<T>(hot: HotState, name: string): KeyValue<T> {
  const map = hot.maps[name] as Map<string, T>;
  return {
    get: (key) => map.get(key),
    fetch: async (key) => map.get(key),
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
