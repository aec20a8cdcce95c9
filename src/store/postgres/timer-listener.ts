import pg from 'pg';

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
  const minRetry = options.minRetryMs ?? 100;
  const maxRetry = options.maxRetryMs ?? 5000;
  let client: pg.Client | undefined;
  let closed = false;
  let delay = minRetry;
  let retry: NodeJS.Timeout | undefined;
  let connectedOnce = false;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  async function connect(): Promise<void> {
    const c = new pg.Client(options.client);
    c.on('notification', (n) => options.onWake(n.payload ? Number(n.payload) : undefined));
    c.on('error', (err) => lost(c, err));
    c.on('end', () => lost(c));
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      options.onError?.(err as Error);
      void c.end().catch(() => undefined);
      reconnectLater();
      return;
    }
    if (closed) return void c.end().catch(() => undefined);
    client = c;
    delay = minRetry;
    if (connectedOnce) options.onWake(undefined);
    connectedOnce = true;
    markReady();
  }

  function lost(c: pg.Client, err?: Error): void {
    if (client !== c) return;
    client = undefined;
    if (err) options.onError?.(err);
    void c.end().catch(() => undefined);
    reconnectLater();
  }

  function reconnectLater(): void {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void connect();
    }, delay);
    delay = Math.min(delay * 2, maxRetry);
  }

  void connect();
  return {
    ready,
    get listening() {
      return client !== undefined;
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      retry = undefined;
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
