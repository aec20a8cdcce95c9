import { afterEach, beforeEach, expect, it } from 'vitest';
import { metric, metricsText, send, startHarness, twilioStatus, waitMessage, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => { h = await startHarness(); });
afterEach(async () => { await h.close(); });

it('a Twilio queued status callback while the step is active is an ordinary receipt, not a late one', async () => {
  const id = await send(h, 'twilio-sms');
  const m = await waitMessage(h, id, (got) => expect(got.attempts[0]?.status).toBe('queued'));
  expect((await twilioStatus(h, m.attempts[0].providerMessageId!, 'queued')).status).toBe(200);
  const after = await waitMessage(h, id, (got) => expect(got.attempts[0].receipts).toHaveLength(1));
  expect(after.steps[0].state).toBe('active');
  expect(after.history.filter((e) => e.event === 'late_receipt')).toEqual([]);
  expect(metric(await metricsText(h), 'switchboard_webhooks_total', { provider: 'twilio-us', kind: 'status', result: 'late' })).toBe(0);
});
