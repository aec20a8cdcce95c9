import type { GatewayConfig } from '../config/types.js';
import { parseDuration } from '../config/duration.js';
import type { Message } from '../model.js';
import { openFileStore } from './file/index.js';
import { MESSAGE_CHANGES } from './message-changes.js';
import type { Store, StoreOptions } from './store.js';

export interface OpenStoreOptions extends StoreOptions<Message> {
  /** How far back (ms) a receipt still finds its attempt after a restart (`store.receiptIndex`). */
  indexWindowMs: number;
  now: () => number;
  /** A database connection lost while idle (for the log; the next commit reports it). */
  onConnectionError?: (err: Error) => void;
  /** File store: the last commit before this start was cut short by a crash and dropped (for the log). */
  onTornCommit?: (files: string[]) => void;
}

/**
 * The store `store.kind` names: the embedded file store in `store.path` (the default), or
 * PostgreSQL at `store.url`. Either way a store that cannot be opened — a folder another process
 * holds, an unreachable database, one another instance runs on — is a `StartupError`.
 *
 * @example const store = await openStore(config.store, { indexKeys: attemptKeys, indexWindowMs, now: clock.now });
 */
export async function openStore(config: GatewayConfig['store'], options: OpenStoreOptions): Promise<Store> {
  if (config.kind === 'postgres') {
    // Loaded only for this kind: the driver and the store's modules are a tenth of a second of
    // every start of the (default) file store otherwise.
    const { openPostgresStore } = await import('./postgres/store.js');
    // The config check already insists on a URL for this kind.
    return openPostgresStore({ url: config.url ?? '', poolMax: config.pool, lockPoolMax: config.lockPool, leaseMs: parseDuration(config.lease), ...options });
  }
  return openFileStore({ dir: config.path, indexKeys: options.indexKeys, isOpen: options.isOpen, indexWindowMs: options.indexWindowMs, now: options.now, changes: options.changes ?? MESSAGE_CHANGES, onTornCommit: options.onTornCommit });
}
