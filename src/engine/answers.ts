/**
 * Provider answers this process is applying now, by attempt key (`attemptKey`). A provider's first
 * receipt can come back before its send's answer is applied — under load, the answer waits for
 * its message's lock. Such a receipt waits here for that answer instead of being parked: parking
 * costs index reads, a commit and a second apply, and on a shared store those extra reads hold
 * back the very answers the receipts are waiting for.
 *
 * @example const answers = createAnswers(); answers.during(key, apply()); await answers.settled(key);
 */
export function createAnswers() {
  const applying = new Map<string, Promise<unknown>>();
  return {
    /** `apply` is applying the answer that made the attempt `key` known. */
    during<T>(key: string, apply: Promise<T>): Promise<T> {
      const done = apply.finally(() => {
        if (applying.get(key) === done) applying.delete(key);
      });
      applying.set(key, done);
      return apply;
    },
    /** Resolves once the answer for `key` being applied now (if any) is in, or has failed. */
    async settled(key: string): Promise<void> {
      await applying.get(key)?.catch(() => undefined);
    },
  };
}

export type Answers = ReturnType<typeof createAnswers>;
