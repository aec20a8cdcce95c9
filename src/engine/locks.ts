/**
 * Serializes async work per key: the engine runs everything that changes one message (timers,
 * receipts, cancel) one after another, so each step sees the previous one's result. Callers wait
 * in order of arrival. A key nobody holds costs no promise of its own: most keys (a new message,
 * a receipt's message) are never contended, and an accept takes two of them.
 *
 * @example
 *   const withLock = createKeyedLock();
 *   await withLock(message.id, async () => { … });
 */
export function createKeyedLock() {
  // A held key's waiters, first to go next; the key is absent once nobody holds it.
  const queues = new Map<string, Array<() => void>>();
  return async function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const queue = queues.get(key);
    // The holder that lets go hands the key straight to the first waiter, which then holds it.
    if (queue) await new Promise<void>((resolve) => queue.push(resolve));
    else queues.set(key, []);
    try {
      return await fn();
    } finally {
      const next = queues.get(key)?.shift();
      if (next) next();
      else queues.delete(key);
    }
  };
}

export type KeyedLock = ReturnType<typeof createKeyedLock>;
