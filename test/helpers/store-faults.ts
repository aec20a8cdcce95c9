import { StoreUnavailableError } from '../../src/errors.js';
import type { Store } from '../../src/store/store.js';

/** The next commit fails as a full disk would: its changes stay queued, its waiters hear an error. */
export function failNextCommit(store: Store): void {
  const mutable = store as { commit: Store['commit'] };
  const real = mutable.commit;
  mutable.commit = () => {
    mutable.commit = real;
    return Promise.reject(new StoreUnavailableError(new Error('ENOSPC')));
  };
}

/** Reads of messages wait until `release()`, as behind a slow disk or a busy database. */
export function holdMessageReads(store: Store): { release: () => void } {
  const messages = store.messages as { get: Store['messages']['get'] };
  const real = messages.get;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  messages.get = async (id) => {
    await gate;
    return real.call(store.messages, id);
  };
  return {
    release() {
      messages.get = real;
      release();
    },
  };
}
