import { afterEach, beforeEach, expect, it } from 'vitest';
import { API_KEY, send, startHarness, waitMessage, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.close());

const GROUP = ['+15557650001', '+15557650002', '+15557650003'];

it('a list of SMS numbers is one group message: one attempt, one Bandwidth request to all of them', async () => {
  const id = await send(h, 'bw-sms', { sms: GROUP });
  const m = await waitMessage(h, id, (got) => expect(got.attempts[0]?.status).toBe('queued'));
  expect(m.attempts).toHaveLength(1);
  expect(m.attempts[0].to).toBe(GROUP.join(','));
  expect(h.bw.messageRequests()).toHaveLength(1);
  expect(h.bw.messageRequests()[0].body).toMatchObject({ to: GROUP, tag: m.attempts[0].id });
});

it('more than ten numbers, or a bad one, is refused before anything is stored', async () => {
  const eleven = Array.from({ length: 11 }, (_, i) => `+1555765${String(i).padStart(4, '0')}`);
  for (const sms of [eleven, ['+15557650001', 'not-a-number'], []]) {
    const res = await h.gw.request.post('/v1/messages').set('x-api-key', API_KEY).send({ route: 'bw-sms', to: { sms }, content: { text: 'x' } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
  }
  expect(h.bw.messageRequests()).toHaveLength(0);
});
