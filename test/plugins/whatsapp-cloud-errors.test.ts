/**
 * Pins how Graph / Cloud API error codes classify: the code decides over the HTTP status (Meta
 * answers a rate limit and a bad parameter with the same 400), unknown codes fall back to the
 * shared status classifier, and only 131047 carries a signal.
 */
import { describe, expect, it } from 'vitest';
import { graphError } from '../../plugins/whatsapp-cloud/errors.js';
import { graphErrorBody } from '../fakes/whatsapp-cloud-fake.js';

const answer = (status: number, text: string) => ({ status, headers: new Headers(), text });

// [code, HTTP status] by the reason they must classify as; 999999 stands for a code not in the table.
const BY_REASON: Readonly<Record<string, ReadonlyArray<readonly [number, number]>>> = {
  client: [[131047, 400], [131026, 400], [131050, 400], [132001, 404], [999999, 400]],
  rate_limited: [[130429, 400], [131056, 400], [80007, 400], [4, 400]],
  auth: [[190, 401], [200, 403]],
  server: [[131000, 500], [2, 503], [999999, 502]],
};
const CASES = Object.entries(BY_REASON).flatMap(([reason, cases]) => cases.map(([code, status]) => [code, status, reason] as const));

describe('Graph error codes', () => {
  it.each(CASES)('code %i with HTTP %i → %s; only 131047 signals outside_window', (code, status, reason) => {
    const err = graphError(answer(status, graphErrorBody(code)), Date.now());
    expect({ reason: err.reason, retryable: err.retryable, signal: err.signal, providerCode: err.providerCode, status: err.status })
      .toEqual({ reason, retryable: reason === 'rate_limited' || reason === 'server', signal: code === 131047 ? 'outside_window' : undefined, providerCode: String(code), status });
  });

  it('a body that is not Graph JSON keeps the status classification and a bounded excerpt', () => {
    const err = graphError(answer(429, `<html>${'x'.repeat(1000)}</html>`), Date.now());
    expect(err).toMatchObject({ reason: 'rate_limited', retryable: true, providerCode: undefined });
    expect(err.message.length).toBeLessThan(400);
  });
});
