import { describe, expect, it } from 'vitest';
import { createInfobipProvider, type InfobipOptions } from '../../plugins/infobip/index.js';
import type { WebhookHandler, WebhookResult } from '../../src/plugin-api.js';
import { inboundSms, inboundWhatsApp, report, resultsBody, seenReport } from '../fakes/infobip-fake.js';
import { pluginDeps } from '../helpers/plugin-deps.js';
import { jsonWebhook } from '../helpers/plugin-options.js';

const SECRET = 'infobip-webhook-secret-0123';
const options: InfobipOptions = Object.freeze({ baseUrl: 'http://127.0.0.1:9', apiKey: 'k', from: 'ACME', whatsappFrom: '+41790000001', channels: ['sms', 'whatsapp'] as ('sms' | 'whatsapp')[], webhookSecret: SECRET, webhookUsername: 'infobip', timeout: '1s', batch: 50 });
const hook = (kind: string, extra: Partial<InfobipOptions> = {}) => createInfobipProvider({ ...options, ...extra }, pluginDeps('ib')).webhooks?.[kind] as WebhookHandler;
const URL_OK = `https://gw.example.test/webhooks/ib/reports?secret=${SECRET}`;
const sent = { messageId: 'att-1', to: '41793026727', from: '41790000001', callbackData: 'att-1' };
const events = async (result: WebhookResult | Promise<WebhookResult>) => {
  const r = await result;
  if (!r.ok) throw new Error(`rejected: ${r.reason}`);
  return r.events;
};
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

describe('infobip plugin: reports and inbound', () => {
  it('maps delivery reports: DELIVERED_TO_HANDSET delivered, DELIVERED_TO_OPERATOR sent, UNDELIVERABLE_* and EXPIRED undelivered with a code, REJECTED failed, seen read', async () => {
    const body = resultsBody([
      report(sent, 'DELIVERED'),
      report({ ...sent, messageId: 'att-2' }, 'DELIVERED_TO_OPERATOR'),
      report({ ...sent, messageId: 'att-3' }, 'UNDELIVERABLE_REJECTED_OPERATOR'),
      report({ ...sent, messageId: 'att-4' }, 'EXPIRED'),
      report({ ...sent, messageId: 'att-5' }, 'REJECTED'),
      seenReport({ ...sent, messageId: 'att-6' }),
    ]);
    const got = await events(hook('reports')(jsonWebhook(URL_OK, body)));
    expect(got.map((e) => e.type === 'status' && [e.providerMessageId, e.status, e.errorCode])).toEqual([
      ['att-1', 'delivered', undefined],
      ['att-2', 'sent', undefined],
      ['att-3', 'undelivered', 'UNDELIVERABLE_REJECTED_OPERATOR'],
      ['att-4', 'undelivered', 'EXPIRED_EXPIRED'],
      ['att-5', 'failed', 'REJECTED_NETWORK'],
      ['att-6', 'read', undefined],
    ]);
    expect(got[2]).toMatchObject({ errorReason: expect.stringContaining('Absent Subscriber (Infobip error 27)'), details: { errorName: 'EC_ABSENT_SUBSCRIBER', permanent: false, callbackData: 'att-1' } });
  });

  it('parses inbound SMS and WhatsApp (text, image, button and list replies) with E.164 addresses', async () => {
    const body = resultsBody([
      inboundSms('41793026727', '41790000002', 'STOP now', 'in-1'),
      inboundWhatsApp('41793026727', '41790000001', { type: 'TEXT', text: 'hola' }, 'in-2'),
      inboundWhatsApp('41793026727', '41790000001', { type: 'IMAGE', url: 'https://ib.example/m/1', caption: 'look' }, 'in-3'),
      inboundWhatsApp('41793026727', '41790000001', { type: 'INTERACTIVE_LIST_REPLY', id: 'opt-2', title: 'Tomorrow', description: 'after 9am' }, 'in-4'),
    ]);
    const got = await events(hook('inbound')(jsonWebhook(URL_OK.replace('/reports', '/inbound'), body)));
    expect(got).toEqual([
      expect.objectContaining({ type: 'inbound', channel: 'sms', from: '+41793026727', to: '+41790000002', text: 'STOP now', providerMessageId: 'in-1', details: expect.objectContaining({ keyword: 'STOP' }) }),
      expect.objectContaining({ channel: 'whatsapp', from: '+41793026727', to: '+41790000001', text: 'hola', details: expect.objectContaining({ profileName: 'Ann' }) }),
      expect.objectContaining({ channel: 'whatsapp', text: 'look', media: ['https://ib.example/m/1'] }),
      expect.objectContaining({ channel: 'whatsapp', text: 'Tomorrow', details: expect.objectContaining({ infobipType: 'INTERACTIVE_LIST_REPLY', replyId: 'opt-2', description: 'after 9am' }) }),
    ]);
  });

  it('takes the secret as ?secret= or as Basic auth, and refuses it missing, wrong, repeated, or not configured', async () => {
    const body = resultsBody([report(sent, 'DELIVERED')]);
    const plain = 'https://gw.example.test/webhooks/ib/reports';
    expect(await hook('reports')(jsonWebhook(plain, body, { authorization: basic('infobip', SECRET) }))).toMatchObject({ ok: true });
    expect(await hook('reports')(jsonWebhook(plain, body, { authorization: basic('someone', SECRET) }))).toMatchObject({ ok: false, status: 401 });
    expect(await hook('reports')(jsonWebhook(plain, body))).toMatchObject({ ok: false, status: 401 });
    expect(await hook('reports')(jsonWebhook(`${plain}?secret=wrong-secret-0123456`, body))).toMatchObject({ ok: false, status: 401 });
    const repeated = { ...jsonWebhook(URL_OK, body), query: { secret: [SECRET, SECRET] } };
    expect(await hook('reports')(repeated)).toMatchObject({ ok: false, status: 401 });
    expect(await hook('reports', { webhookSecret: undefined })(jsonWebhook(URL_OK, body))).toMatchObject({ ok: false, status: 401, reason: expect.stringContaining('not configured') });
  });

  it('answers 400 for bodies that are not {results: [...]} and ignores status groups it does not know', async () => {
    for (const bad of ['not json', '[]', '{"results":"x"}', '{"results":[1]}', '{"results":[{"status":{"groupName":"DELIVERED"}}]}']) {
      expect(await hook('reports')(jsonWebhook(URL_OK, bad))).toMatchObject({ ok: false, status: 400 });
    }
    const odd = resultsBody([{ ...report(sent, 'DELIVERED'), status: { groupId: 9, groupName: 'SOMETHING_NEW', id: 99, name: 'NEW' } }]);
    expect(await events(hook('reports')(jsonWebhook(URL_OK, odd)))).toEqual([]);
  });
});
