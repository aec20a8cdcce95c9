import type twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import { lazyImport } from '../../src/plugin-api.js';

type TwilioSdk = typeof twilio;
type AxiosConfig = Parameters<RequestClient['axios']['request']>[0];

/** The SDK: about half a second to import on a busy machine, so it loads with the first send or callback. */
export const twilioSdk = lazyImport('twilio', async (): Promise<TwilioSdk> => (await import('twilio')).default);

/** What an instance sends through: the SDK client and its HTTP client (see {@link createTwilioTransport}). */
export interface TwilioTransport {
  client: twilio.Twilio;
  /** Runs `fn` so that every request it starts synchronously (as `messages.create` does) is aborted with `signal`. */
  withSignal<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T>;
  close(): void;
}

export interface TwilioCredentials {
  accountSid: string;
  authToken?: string;
  apiKeySid?: string;
  apiKeySecret?: string;
}

/**
 * The SDK's HTTP client with two additions the SDK has no option for:
 * - `origin` (an origin, no path) replaces `https://<domain>.twilio.com` on every request (regional endpoints, local fakes);
 * - a per-call AbortSignal passed on to axios, so a caller's deadline or shutdown really cancels
 *   the request instead of leaving it running behind a lost promise. The SDK has no option for it,
 *   and an AsyncLocalStorage would carry it at a price: on Node 20 it turns on a hook for every
 *   promise the process makes, 15–20 % of the accept rate once the first message went out. So the
 *   SDK's synchronous call into `request` takes the signal of the `withSignal` running, and it
 *   reaches axios by the request's headers object, which the SDK hands on as it is.
 * A class extending the SDK's, so it is declared once the SDK is loaded.
 */
function httpClientClass(sdk: TwilioSdk) {
  return class TwilioHttpClient extends sdk.RequestClient {
    readonly #origin: string | undefined;
    #current: AbortSignal | undefined;
    readonly #signals = new WeakMap<object, AbortSignal>();

    constructor(options: { origin?: string; timeoutMs: number }) {
      super({ timeout: options.timeoutMs, keepAlive: true });
      this.#origin = options.origin;
      const signals = this.#signals;
      this.axios = new Proxy(this.axios, {
        apply(target, self, args: [AxiosConfig?]) {
          const config = args[0];
          const signal = config?.headers ? signals.get(config.headers) : undefined;
          return Reflect.apply(target, self, signal ? [{ ...config, signal }] : args) as unknown;
        },
      });
    }

    override request<TData>(opts: RequestClient.RequestOptions<TData>) {
      if (this.#current) this.#signals.set((opts.headers ??= {}), this.#current);
      if (this.#origin === undefined) return super.request(opts);
      const uri = new URL(opts.uri);
      return super.request({ ...opts, uri: `${this.#origin}${uri.pathname}${uri.search}` });
    }

    withSignal<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
      const outer = this.#current;
      this.#current = signal;
      try {
        return fn();
      } finally {
        this.#current = outer;
      }
    }

    close(): void {
      (this.axios.defaults.httpsAgent as { destroy?: () => void } | undefined)?.destroy?.();
    }
  };
}

let HttpClient: ReturnType<typeof httpClientClass> | undefined;

/**
 * A Twilio REST client that reads nothing from `process.env`: credentials are passed explicitly,
 * and `region`/`edge`/`logLevel` are set to values that stop the SDK from falling back to
 * `TWILIO_REGION`, `TWILIO_EDGE` and `TWILIO_LOG_LEVEL` (it uses `??`, so only `undefined` falls through).
 *
 * @example const { client, withSignal } = await createTwilioTransport(options, { origin: options.baseUrl, timeoutMs: 10_000 });
 */
export async function createTwilioTransport(credentials: TwilioCredentials, http: { origin?: string; timeoutMs: number }): Promise<TwilioTransport> {
  const sdk = await twilioSdk();
  HttpClient ??= httpClientClass(sdk);
  const httpClient = new HttpClient(http);
  const [username, password] = credentials.apiKeySid && credentials.apiKeySecret
    ? [credentials.apiKeySid, credentials.apiKeySecret]
    : [credentials.accountSid, credentials.authToken];
  const client = sdk(username, password, {
    accountSid: credentials.accountSid,
    httpClient,
    env: {},
    region: '',
    edge: '',
    logLevel: 'off',
    autoRetry: false,
  });
  return { client, withSignal: (signal, fn) => httpClient.withSignal(signal, fn), close: () => httpClient.close() };
}
