/** The validated, frozen options of one ACS Advanced Messaging instance (see schemas/plugins/acs.schema.json). */
export interface AcsOptions {
  /** `https://<resource>.communication.azure.com` (or a local fake with `allowInsecure`). */
  endpoint: string;
  /** The resource's access key (base64); requests are HMAC-signed with it. */
  accessKey?: string;
  /** Microsoft Entra app registration (client credentials). */
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  /** Use the host's managed identity (with `clientId`: a user-assigned one). */
  managedIdentity?: boolean;
  /** Entra authority, default `https://login.microsoftonline.com`. */
  authorityHost: string;
  /** The Advanced Messaging channel registration (a GUID) each channel sends through. */
  channelRegistrations: { whatsapp?: string; sms?: string };
  apiVersion?: string;
  /** Lets `endpoint`/`authorityHost` be plain `http://` — only on a loopback host (a local fake). */
  allowInsecure: boolean;
  /** Event Grid deliveries must carry it (`?code=` or `x-webhook-secret`); without it they are refused. */
  webhookSecret?: string;
  /** Template language when a message names none (`en_US`). */
  defaultLanguage: string;
  /** Per-request timeout, a duration; default `10s`. */
  timeout: string;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** Whether a URL names this machine; the only place plain HTTP is allowed (a fake in a test). */
export function isLoopback(url: string): boolean {
  return URL.canParse(url) && LOOPBACK.test(new URL(url).hostname);
}

/**
 * Why these options cannot be used, or undefined: plain HTTP needs `allowInsecure`, and
 * `allowInsecure` is refused for any host that is not loopback, so it cannot weaken production.
 */
export function insecureProblem(options: Pick<AcsOptions, 'endpoint' | 'authorityHost' | 'allowInsecure' | 'clientSecret'>): string | undefined {
  // The authority is only called with a client secret; the access key and managed identity never reach it.
  const urls = [['endpoint', options.endpoint], ...(options.clientSecret === undefined ? [] : [['authorityHost', options.authorityHost]])];
  for (const [name, url] of urls) {
    const plain = url.startsWith('http://');
    if (plain && !options.allowInsecure) return `${name} ${url} is plain http: use https (allowInsecure is for a local fake only)`;
    if (options.allowInsecure && !isLoopback(url)) return `allowInsecure is only allowed when ${name} is a loopback host (127.0.0.1, ::1, localhost), not ${new URL(url).host}`;
  }
  return undefined;
}
