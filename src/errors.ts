/**
 * Typed errors with stable codes. Route handlers and the engine throw these; one middleware renders
 * them as `{error, code, message, details?}`.
 *
 * @example
 *   throw new AppError('not_found', 'message 01H… does not exist');
 */

/** Every stable error code, its HTTP status, and whether its message is safe to show a client. */
export const ERROR_CODES = {
  bad_request: { status: 400, expose: true },
  invalid_json: { status: 400, expose: true },
  validation_failed: { status: 400, expose: true },
  config_invalid: { status: 400, expose: true },
  unauthorized: { status: 401, expose: true },
  forbidden: { status: 403, expose: true },
  signature_invalid: { status: 403, expose: true },
  not_found: { status: 404, expose: true },
  method_not_allowed: { status: 405, expose: true },
  conflict: { status: 409, expose: true },
  idempotency_conflict: { status: 409, expose: true },
  payload_too_large: { status: 413, expose: true },
  unsupported_media_type: { status: 415, expose: true },
  not_ready: { status: 503, expose: true },
  unavailable: { status: 503, expose: true },
  internal: { status: 500, expose: false },
} as const satisfies Record<string, { status: number; expose: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The one status → code map, for statuses that arrive without a code: Koa's and the body
 * parser's own errors, and the rejections plugins return from webhook handlers. A webhook's 401
 * and 403 are about the caller's credentials or signature, hence `signature_invalid` for its 403.
 * Any other 4xx is a `bad_request`; anything else has no client-facing code (`undefined`).
 *
 * @example errorCodeForStatus(415) // 'unsupported_media_type'
 */
export function errorCodeForStatus(status: number, source: 'http' | 'webhook' = 'http'): ErrorCode | undefined {
  if (source === 'webhook' && status === 403) return 'signature_invalid';
  const code = CODE_BY_STATUS.get(status);
  if (code) return code;
  return status >= 400 && status < 500 ? 'bad_request' : undefined;
}

// 501 is what the router answers for a method it has never heard of: to a client, a 405 all the same.
const CODE_BY_STATUS: ReadonlyMap<number, ErrorCode> = new Map<number, ErrorCode>([
  [400, 'bad_request'], [401, 'unauthorized'], [403, 'forbidden'], [404, 'not_found'], [405, 'method_not_allowed'],
  [409, 'conflict'], [413, 'payload_too_large'], [415, 'unsupported_media_type'], [501, 'method_not_allowed'], [503, 'unavailable'],
]);

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly expose: boolean;
  readonly details?: unknown;
  /** Seconds a client should wait before trying again (sent as `Retry-After` with 503s and 429s). */
  retryAfter?: number;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.expose = ERROR_CODES[code].expose;
    this.details = details;
  }
}

/**
 * The store could not make a change durable (disk full, I/O error). Nothing it covered was
 * acknowledged; the client hears 503 with `Retry-After` and may try again.
 */
export class StoreUnavailableError extends AppError {
  constructor(cause?: unknown) {
    super('unavailable', 'the gateway cannot store anything right now; try again shortly');
    this.retryAfter = 5;
    if (cause !== undefined) this.cause = cause;
  }
}

/** Why a provider call failed; also a metric label, so keep it small. */
export type ProviderErrorReason = 'client' | 'server' | 'timeout' | 'auth' | 'rate_limited';

/**
 * What a provider's error means beyond the attempt: `opted_out` (the recipient replied STOP at the
 * provider: Twilio 21610, Bandwidth 4775) adds a suppression entry; `outside_window` (WhatsApp
 * re-engagement required, Meta 131047) tells the consent policy the window is closed.
 */
export type ProviderSignal = 'opted_out' | 'outside_window';

export interface ProviderErrorInit {
  reason: ProviderErrorReason;
  /** HTTP status the provider answered with, when there was one. */
  status?: number;
  /** The provider's own error code (Twilio 21211, Bandwidth 4720…). */
  providerCode?: string;
  /** How long the provider asked us to wait (a 429's `Retry-After`), in ms. */
  retryAfterMs?: number;
  signal?: ProviderSignal;
  cause?: unknown;
}

/**
 * A failed provider call. `retryable` comes from the one classifier ({@link classifyStatus}):
 * 429, 5xx and timeouts are worth another try, every other 4xx is permanent.
 */
export class ProviderError extends Error {
  readonly reason: ProviderErrorReason;
  readonly retryable: boolean;
  readonly status?: number;
  readonly providerCode?: string;
  readonly retryAfterMs?: number;
  readonly signal?: ProviderSignal;

  constructor(message: string, init: ProviderErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ProviderError';
    this.reason = init.reason;
    this.status = init.status;
    this.providerCode = init.providerCode;
    this.retryAfterMs = init.retryAfterMs;
    this.signal = init.signal;
    this.retryable = isRetryableReason(init.reason);
  }
}

export function isRetryableReason(reason: ProviderErrorReason): boolean {
  return reason === 'server' || reason === 'timeout' || reason === 'rate_limited';
}

/** The one retry classifier: maps an HTTP status to a reason (`undefined` for 2xx). */
export function classifyStatus(status: number): ProviderErrorReason | undefined {
  if (status >= 200 && status < 300) return undefined;
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'auth';
  if (status === 408 || status >= 500) return status === 408 ? 'timeout' : 'server';
  return 'client';
}

/** A config file that cannot be used; `errors` are `file:line:col: message` strings, all of them. */
export class ConfigError extends Error {
  readonly errors: readonly string[];
  /** Secrets the refused file held, as far as it was read: the errors may quote them, so outputs mask them. */
  readonly secrets: ReadonlySet<string>;
  constructor(errors: readonly string[], secrets: ReadonlySet<string> = new Set()) {
    super(`invalid configuration:\n  ${errors.join('\n  ')}`);
    this.name = 'ConfigError';
    this.errors = errors;
    this.secrets = secrets;
  }
}

/**
 * The process cannot start for a reason the operator fixes (the store folder is in use): printed
 * as one line, without a stack.
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}
