import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/model.js';
import { report, resultsBody, seenReport } from '../fakes/infobip-fake.js';
import { eventually } from '../helpers/gateway.js';
import { API_KEY, CUSTOMER, startAzureHarness, type AzureHarness } from './setup.js';

describe('Infobip reports moving a route (the example\'s sms route: ACS, then Infobip)', () => {
  let h: AzureHarness;
  beforeAll(async () => {
    h = await startAzureHarness();
  });
  afterAll(() => h.close());

  /** One message on the `sms` route whose ACS attempt is refused (400), so Infobip sends it; its Infobip send. */
  async function viaInfobip(text: string) {
    h.acs.failNext({ status: 400, body: { error: { code: 'InvalidChannel', message: 'Channel registration is not active' } } });
    const id = (await h.gw.request.post('/v1/messages').set('x-api-key', API_KEY).send({ route: 'sms', to: { sms: CUSTOMER }, content: { text } }).expect(202)).body.id as string;
    await eventually(() => expect(h.infobip.sent.find((s) => (s.message.content as { text?: string })?.text === text)).toBeDefined());
    return { id, sent: h.infobip.sent.find((s) => (s.message.content as { text?: string })?.text === text)! };
  }

  const final = (id: string, status: string) => eventually(async () => {
    const m = (await h.gw.request.get(`/v1/messages/${id}`).set('x-api-key', API_KEY).expect(200)).body as Message;
    expect(m.status).toBe(status);
    return m;
  });

  it('EXPIRED ends the step, and with it the route, as undelivered with Infobip\'s status name', async () => {
    const { id, sent } = await viaInfobip('expires');
    expect((await h.infobipPost(sent.notifyUrl!, resultsBody([report(sent, 'EXPIRED')]))).status).toBe(200);
    const m = await final(id, 'failed');
    expect(m.attempts.map((a) => [a.provider, a.status, a.errorCode])).toEqual([['acs', 'error', 'InvalidChannel'], ['infobip', 'undelivered', 'EXPIRED_EXPIRED']]);
  });

  it('UNDELIVERABLE_REJECTED_OPERATOR likewise, with the error in the reason; DELIVERED_TO_OPERATOR alone is not delivery, a seen report is read', async () => {
    const bad = await viaInfobip('rejected by operator');
    await h.infobipPost(bad.sent.notifyUrl!, resultsBody([report(bad.sent, 'UNDELIVERABLE_REJECTED_OPERATOR')]));
    const m = await final(bad.id, 'failed');
    expect(m.attempts[1]).toMatchObject({ status: 'undelivered', errorCode: 'UNDELIVERABLE_REJECTED_OPERATOR', errorReason: expect.stringContaining('Absent Subscriber') });

    const good = await viaInfobip('to the operator');
    await h.infobipPost(good.sent.notifyUrl!, resultsBody([report(good.sent, 'DELIVERED_TO_OPERATOR')]));
    await eventually(async () => expect(((await h.message(good.id)).attempts[1]).status).toBe('sent'));
    expect((await h.message(good.id)).status).not.toBe('delivered');
    await h.infobipPost(good.sent.notifyUrl!, resultsBody([seenReport({ ...good.sent, from: good.sent.from })]));
    await final(good.id, 'read');
  });
});
