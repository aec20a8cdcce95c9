import pg from 'pg';

export interface SessionOptions {
  /** How to connect the dedicated client (a pool's `options` will do). */
  client: pg.ClientConfig;
  /** Run on every (re)connection before the session counts as up: LISTEN, take a lock… */
  setup: (client: pg.Client) => Promise<void>;
  onNotification?: (payload: string | undefined) => void;
  /** The session is up again after a loss: whatever it missed meanwhile is gone. */
  onReconnect?: () => void;
  /** A lost or refused connection (the session retries by itself). */
  onError?: (err: Error) => void;
  /** Reconnect delays: doubling from `minRetryMs` (default 100) up to `maxRetryMs` (default 5,000). */
  minRetryMs?: number;
  maxRetryMs?: number;
}

export interface Session {
  /** Resolves once the first `setup` has run. */
  readonly ready: Promise<void>;
  /** The connected client, or undefined while reconnecting. */
  readonly client: pg.Client | undefined;
  close(): Promise<void>;
}

/**
 * One dedicated client (not from a pool: it never goes back) that stays connected: when the
 * connection drops it reconnects with backoff and runs `setup` again. For what lives in a session
 * — a LISTEN, an advisory lock.
 *
 * @example const s = keepSession({ client: pool.options, setup: (c) => c.query('LISTEN x').then(() => undefined) });
 */
export function keepSession(options: SessionOptions): Session {
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
    if (options.onNotification) c.on('notification', (n) => options.onNotification!(n.payload));
    c.on('error', (err) => lost(c, err));
    c.on('end', () => lost(c));
    try {
      await c.connect();
      await options.setup(c);
    } catch (err) {
      options.onError?.(err as Error);
      void c.end().catch(() => undefined);
      reconnectLater();
      return;
    }
    if (closed) return void c.end().catch(() => undefined);
    client = c;
    delay = minRetry;
    if (connectedOnce) options.onReconnect?.();
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
    get client() {
      return client;
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
