import type pg from 'pg';
import { keepSession } from './session.js';

export interface ListenOptions {
  /** How to connect the dedicated client (a pool's `options` will do). */
  client: pg.ClientConfig;
  /**
   * Something may be due sooner than you thought: re-read `nextDue()`. `due` is the scheduled
   * time from a NOTIFY; undefined after a reconnect, when notifications may have been missed.
   */
  onWake: (due?: number) => void;
  /** A lost or refused connection (the listener retries by itself). */
  onError?: (err: Error) => void;
  /** Reconnect delays: doubling from `minRetryMs` (default 100) up to `maxRetryMs` (default 5,000). */
  minRetryMs?: number;
  maxRetryMs?: number;
}

export interface TimerListener {
  /** Resolves once the first LISTEN is active: read `nextDue()` after it, so nothing falls between. */
  readonly ready: Promise<void>;
  readonly listening: boolean;
  close(): Promise<void>;
}

/** Same channel as `TIMER_CHANNEL` in timer-leases.ts (kept here so the two files do not import each other). */
const CHANNEL = 'switchboard_timers';

/**
 * Holds one client (not from the pool: it never comes back) LISTENing for timer wake-ups. When the
 * connection drops it reconnects with backoff and wakes the caller once, since notifications sent
 * meanwhile are lost.
 *
 * @example const listener = listenForTimers({ client: pool.options, onWake: () => rearm() });
 */
export function listenForTimers(options: ListenOptions): TimerListener {
  const session = keepSession({
    client: options.client,
    setup: async (c) => {
      await c.query(`LISTEN ${CHANNEL}`);
    },
    onNotification: (payload) => options.onWake(payload ? Number(payload) : undefined),
    onReconnect: () => options.onWake(undefined),
    onError: options.onError,
    minRetryMs: options.minRetryMs,
    maxRetryMs: options.maxRetryMs,
  });
  return {
    ready: session.ready,
    get listening() {
      return session.client !== undefined;
    },
    close: () => session.close(),
  };
}
