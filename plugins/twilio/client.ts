import { AsyncLocalStorage } from 'node:async_hooks';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';

/**
 * The SDK's HTTP client with two additions the SDK has no option for:
 * - `origin` replaces `https://<domain>.twilio.com` on every request (regional endpoints, local fakes);
 * - a per-call AbortSignal, carried through AsyncLocalStorage into axios, so a caller's deadline or
 *   shutdown really cancels the request instead of leaving it running behind a lost promise.
 */
export class TwilioHttpClient extends twilio.RequestClient {
  readonly #origin: string | undefined;
  readonly #signal = new AsyncLocalStorage<AbortSignal>();

  constructor(options: { origin?: string; timeoutMs: number }) {
    super({ timeout: options.timeoutMs, keepAlive: true });
    this.#origin = options.origin === undefined ? undefined : new URL(options.origin).origin;
    this.axios.interceptors.request.use((config) => {
      const signal = this.#signal.getStore();
      if (signal) config.signal = signal;
      return config;
    });
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    if (this.#origin === undefined) return super.request(opts);
    const uri = new URL(opts.uri);
    return super.request({ ...opts, uri: `${this.#origin}${uri.pathname}${uri.search}` });
  }

  /** Runs `fn` so that every request it makes is aborted with `signal`. */
  withSignal<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    return this.#signal.run(signal, fn);
  }

  close(): void {
    (this.axios.defaults.httpsAgent as { destroy?: () => void } | undefined)?.destroy?.();
  }
}

export interface TwilioCredentials {
  accountSid: string;
  authToken?: string;
  apiKeySid?: string;
  apiKeySecret?: string;
}

/**
 * A Twilio REST client that reads nothing from `process.env`: credentials are passed explicitly,
 * and `region`/`edge`/`logLevel` are set to values that stop the SDK from falling back to
 * `TWILIO_REGION`, `TWILIO_EDGE` and `TWILIO_LOG_LEVEL` (it uses `??`, so only `undefined` falls through).
 */
export function createTwilioClient(credentials: TwilioCredentials, httpClient: TwilioHttpClient): twilio.Twilio {
  const [username, password] = credentials.apiKeySid && credentials.apiKeySecret
    ? [credentials.apiKeySid, credentials.apiKeySecret]
    : [credentials.accountSid, credentials.authToken];
  return twilio(username, password, {
    accountSid: credentials.accountSid,
    httpClient,
    env: {},
    region: '',
    edge: '',
    logLevel: 'off',
    autoRetry: false,
  });
}
