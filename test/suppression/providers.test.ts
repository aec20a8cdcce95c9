/**
 * Opt-outs the providers report, through their real SDKs against the wire fakes: Twilio refuses a
 * send with 21610 (or reports it in a status callback), Bandwidth fails a message with 4775 in a
 * delivery receipt; and STOP texted to each provider's inbound webhook.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SuppressionEntry } from '../../src/model.js';
import { failedEvent, receivedEvent } from '../fakes/bandwidth-fake.js';
import { inboundParams, inboundRequest, type FormParams } from '../fakes/twilio-fake.js';
import {
  ACCOUNT_SID, API_KEY, AUTH_TOKEN, BW_FROM, CUSTOMER, PUBLIC_URL, TWILIO_FROM,
  bandwidthCallback, pathOf, send, startHarness, twilioCreates, twilioStatus, waitMessage, type Harness,
} from '../integration/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const list = async (hh: Harness): Promise<SuppressionEntry[]> => (await hh.gw.request.get('/v1/suppressions').set('x-api-key', API_KEY).expect(200)).body.items;
const completed = (hh: Harness, id: string) => waitMessage(hh, id, (m) => expect(m.completedAt).toBeDefined());

describe('provider opt-out signals', () => {
  it('Twilio 21610 on send: the attempt fails over, the user is suppressed on that sender, and the next send skips Twilio SMS', async () => {
    h = await startHarness();
    h.twilio.failNext({ status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' });
    // The route's next step (Bandwidth) sends; nobody delivers it here, so wait for its attempt only.
    const first = await waitMessage(h, await send(h, 'permanent'), (m) => expect(m.attempts[1]?.providerMessageId).toBeDefined());
    expect(first.attempts.map((a) => [a.provider, a.errorCode ?? a.status])).toEqual([['twilio-us', '21610'], ['bandwidth', 'queued']]);
    expect(await list(h)).toEqual([expect.objectContaining({ channel: 'sms', sender: TWILIO_FROM, address: CUSTOMER, source: 'provider', detail: '21610 from twilio-us' })]);

    const second = await completed(h, await send(h, 'twilio-sms'));
    expect(second.status).toBe('failed');
    expect(second.attempts).toEqual([]);
    expect(second.history.find((e) => e.event === 'step_skipped')?.cause).toMatch(/^suppressed: the provider reported an opt-out \(21610 from twilio-us\) 20/);
    // One create reached Twilio: the second message never asked.
    expect(twilioCreates(h)).toHaveLength(1);
    // Bandwidth's number is another sender: the user still gets texts from it.
    expect((await completed(h, await send(h, 'bw-accepted'))).attempts.map((a) => a.provider)).toEqual(['bandwidth']);
  });

  it('Twilio 21610 in a status callback suppresses too', async () => {
    h = await startHarness();
    const id = await send(h, 'twilio-sms');
    const sent = await waitMessage(h, id, (m) => expect(m.attempts[0]?.providerMessageId).toBeDefined());
    await twilioStatus(h, sent.attempts[0].providerMessageId!, 'failed', { errorCode: '21610' }).expect(200);
    expect((await list(h)).map((e) => [e.sender, e.address, e.source])).toEqual([[TWILIO_FROM, CUSTOMER, 'provider']]);
  });

  it('Bandwidth 4775 in a message-failed receipt suppresses the user on that number; a 4720 does not', async () => {
    h = await startHarness();
    const id = await send(h, 'bw-sms');
    await waitMessage(h, id, (m) => expect(m.attempts[0]?.providerMessageId).toBeDefined());
    await bandwidthCallback(h, [failedEvent(h.bw.sent[0], 4720, 'invalid-destination-address')]).expect(200);
    expect(await list(h)).toEqual([]);

    const second = await send(h, 'bw-sms');
    await waitMessage(h, second, (m) => expect(m.attempts[0]?.providerMessageId).toBeDefined());
    await bandwidthCallback(h, [failedEvent(h.bw.sent[1], 4775, 'destination-rejected-due-to-user-opt-out')]).expect(200);
    expect(await list(h)).toEqual([expect.objectContaining({ channel: 'sms', sender: BW_FROM, address: CUSTOMER, source: 'provider', detail: '4775 from bandwidth' })]);

    const third = await completed(h, await send(h, 'bw-sms'));
    expect(third.attempts).toEqual([]);
    expect(third.history.some((e) => e.event === 'step_skipped' && /4775 from bandwidth/.test(e.cause ?? ''))).toBe(true);
    expect(h.bw.messageRequests()).toHaveLength(2);
  });

  it('STOP texted to Bandwidth and to Twilio (Advanced Opt-Out names its own keywords in OptOutType) opts out of each number', async () => {
    h = await startHarness();
    await bandwidthCallback(h, [receivedEvent({ from: CUSTOMER, to: BW_FROM, text: 'Stop' })]).expect(200);
    // REVOKE is on Twilio's list, not on this gateway's: Twilio's classification counts.
    await twilioText(h, 'revoke').expect(200);
    expect((await list(h)).map((e) => e.sender)).toEqual([BW_FROM]);
    await twilioText(h, 'REVOKE', { OptOutType: 'STOP' }).expect(200);
    expect((await list(h)).map((e) => [e.sender, e.detail]).sort()).toEqual([[TWILIO_FROM, 'REVOKE'], [BW_FROM, 'STOP']]);
    const m = await completed(h, await send(h, 'twilio-then-bw'));
    expect(m.attempts).toEqual([]);
  });
});

/** The customer's text to Twilio's inbound webhook, signed; `extra` adds parameters (Advanced Opt-Out's `OptOutType`). */
function twilioText(hh: Harness, body: string, extra: FormParams = {}) {
  const url = `${PUBLIC_URL}/webhooks/twilio-us/inbound`;
  const signed = inboundRequest({ url, authToken: AUTH_TOKEN, params: inboundParams({ from: CUSTOMER, to: TWILIO_FROM, body, accountSid: ACCOUNT_SID, extra }) });
  return hh.gw.request.post(pathOf(url)).set(signed.headers).send(signed.body);
}
