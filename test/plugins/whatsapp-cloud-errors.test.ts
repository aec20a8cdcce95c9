/**
 * Pins how Graph / Cloud API error codes classify: the code decides over the HTTP status (Meta
 * answers a rate limit and a bad parameter with the same 400), unknown codes fall back to the
 * shared status classifier, and only 131047 carries a signal.
 */
import { describe, expect, it } from 'vitest';
import { graphError } from '../../plugins/whatsapp-cloud/errors.js';
import { graphErrorBody } from '../fakes/whatsapp-cloud-fake.js';

const answer = (status: number, text: string) => ({ status, headers: new Headers(), text });

describe('Graph error codes', () => {
  it.each([
    [131047, 400, 'client', false, 'outside_window'],
    [131026, 400, 'client', false, undefined],
    [131050, 400, 'client', false, undefined],
    [132001, 404, 'client', false, undefined],
    [130429, 400, 'rate_limited', true, undefined],
    [131056, 400, 'rate_limited', true, undefined],
    [80007, 400, 'rate_limited', true, undefined],
    [4, 400, 'rate_limited', true, undefined],
    [190, 401, 'auth', false, undefined],
    [200, 403, 'auth', false, undefined],
    [131000, 500, 'server', true, undefined],
    [2, 503, 'server', true, undefined],
    [999999, 400, 'client', false, undefined],
    [999999, 502, 'server', true, undefined],
  ] as const)('code %i with HTTP %i → %s (retryable %s, signal %s)', (code, status, reason, retryable, signal) => {
    const err = graphError(answer(status, graphErrorBody(code)), Date.now());
    expect({ reason: err.reason, retryable: err.retryable, signal: err.signal, providerCode: err.providerCode, status: err.status })
      .toEqual({ reason, retryable, signal, providerCode: String(code), status });
  });

  it('a body that is not Graph JSON keeps the status classification and a bounded excerpt', () => {
    const err = graphError(answer(429, `<html>${'x'.repeat(1000)}</html>`), Date.now());
    expect(err).toMatchObject({ reason: 'rate_limited', retryable: true, providerCode: undefined });
    expect(err.message.length).toBeLessThan(400);
  });
});
