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
