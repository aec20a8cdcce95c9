import { describe, expect, it } from 'vitest';
import { AppError, ERROR_CODES, ProviderError, classifyStatus, errorCodeForStatus } from '../../src/errors.js';

describe('error codes', () => {
  it('pins the table of stable codes and their HTTP statuses', () => {
    expect(Object.fromEntries(Object.entries(ERROR_CODES).map(([code, v]) => [code, v.status]))).toEqual({
      bad_request: 400, invalid_json: 400, validation_failed: 400, config_invalid: 400,
      unauthorized: 401, forbidden: 403, signature_invalid: 403, not_found: 404, method_not_allowed: 405,
      conflict: 409, idempotency_conflict: 409, payload_too_large: 413, unsupported_media_type: 415,
      not_ready: 503, unavailable: 503, internal: 500,
    });
    expect(new AppError('internal', 'db exploded').expose).toBe(false);
  });

  it('the one retry classifier: 429, 5xx and timeouts retry; other 4xx are permanent', () => {
    const cases: [number, string | undefined, boolean][] = [
      [200, undefined, false], [202, undefined, false], [400, 'client', false], [404, 'client', false], [401, 'auth', false],
      [403, 'auth', false], [408, 'timeout', true], [429, 'rate_limited', true], [500, 'server', true], [503, 'server', true],
    ];
    for (const [status, reason, retryable] of cases) {
      expect(classifyStatus(status)).toBe(reason);
      if (reason) expect(new ProviderError('x', { reason: reason as never }).retryable).toBe(retryable);
    }
  });
});

describe('the one status → code map', () => {
  it('pins the codes for statuses that arrive without one, from HTTP helpers and from webhook rejections', () => {
    const http = [400, 401, 403, 404, 405, 409, 411, 413, 415, 416, 500, 501, 502, 503].map((s) => [s, errorCodeForStatus(s)]);
    expect(Object.fromEntries(http)).toEqual({
      400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed', 409: 'conflict',
      411: 'bad_request', 413: 'payload_too_large', 415: 'unsupported_media_type', 416: 'bad_request',
      500: undefined, 501: 'method_not_allowed', 502: undefined, 503: 'unavailable',
    });
    expect([400, 401, 403, 415].map((s) => errorCodeForStatus(s, 'webhook'))).toEqual(['bad_request', 'unauthorized', 'signature_invalid', 'unsupported_media_type']);
  });
});
