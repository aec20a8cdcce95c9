/**
 * A message's own plan (`route: {mode, steps}`): only for API keys with `send:inline`, checked like a
 * route of gateway.yaml (schema, defaults, providers, channels, senders, consent), then run like one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configErrorsOf } from '../helpers/config-errors.js';
import { API_KEY, configText, eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import type { Message } from '../../src/model.js';

const INLINE_KEY = 'inline-key-0123456789';
const PROVIDERS = `
providers:
  wa: { plugin: mock, channels: [whatsapp], outcome: none, from: "+15550001111" }
  sms: { plugin: mock, channels: [sms], outcome: delivered, after: 0s, from: "+15550002222", senders: ["+15550002222", "+15550003333"] }
routes:
  default:
    steps:
      - { channel: sms, providers: [sms] }
`;

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway(configText(PROVIDERS).replace('    - { name: reader', `    - { name: inline, key: "${INLINE_KEY}", scopes: [send, send:inline, read] }\n    - { name: reader`));
});
afterAll(() => gw.close());

const send = (route: unknown, key = INLINE_KEY) => gw.request.post('/v1/messages').set('x-api-key', key).send({ route, to: { phone: '+15557654321' }, content: { text: 'hi' } });
const get = async (id: string): Promise<Message> => (await gw.request.get(`/v1/messages/${id}`).set('x-api-key', API_KEY)).body as Message;

describe('inline plans on POST /v1/messages', () => {
  it('needs the send:inline scope: a send-only key is refused with 403 and nothing is stored', async () => {
    const res = await send({ steps: [{ channel: 'sms', providers: ['sms'] }] }, API_KEY);
    expect(res.status).toBe(403);
    expect(res.body.message).toContain('send:inline');
    expect((await gw.request.get('/v1/messages').set('x-api-key', API_KEY)).body.items).toEqual([]);
  });

  it('fills the route defaults, runs the plan, and labels the message route "inline"', async () => {
    const res = await send({ mode: 'fallback', steps: [{ channel: 'whatsapp', providers: ['wa'], within: '50ms' }, { channel: 'sms', providers: ['sms'], from: '+15550003333' }] });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const m = await eventually(async () => {
      const got = await get(res.body.id);
      expect(got.status).toBe('delivered');
      return got;
    });
    expect(m.route).toBe('inline');
    expect(m.plan).toEqual({ mode: 'fallback', resendUnknown: false, steps: [
      { channel: 'whatsapp', providers: ['wa'], until: 'delivered', within: '50ms' },
      { channel: 'sms', providers: ['sms'], until: 'delivered', within: '30s', from: '+15550003333' },
    ] });
    expect(m.steps.map((s) => s.state)).toEqual(['timed_out', 'succeeded']);
    const byRoute = await gw.request.get('/v1/messages?route=inline').set('x-api-key', API_KEY);
    expect(byRoute.body.items.map((x: Message) => x.id)).toContain(m.id);
  });

  it.each([
    ['an unknown provider', { steps: [{ channel: 'sms', providers: ['nobody'] }] }, '/route/steps/0/providers/0', 'unknown provider "nobody"'],
    ['a provider without the channel', { steps: [{ channel: 'email', providers: ['sms'] }] }, '/route/steps/0/providers/0', 'does not support channel email'],
    ['a sender none of its providers may use', { steps: [{ channel: 'sms', providers: ['sms'], from: '+15550009999' }] }, '/route/steps/0/from', 'may send from "+15550009999"'],
    ['an unknown consent policy', { steps: [{ channel: 'whatsapp', providers: ['wa'], consent: 'nope' }] }, '/route/steps/0/consent', 'unknown consent policy "nope"'],
    ['a bad duration', { steps: [{ channel: 'sms', providers: ['sms'], within: '5 seconds' }] }, '/route/steps/0/within', 'must be a duration'],
    ['an unknown key', { steps: [{ channel: 'sms', providers: ['sms'] }], extra: true }, '/route', 'unknown property "extra"'],
    ['no steps', { mode: 'broadcast', steps: [] }, '/route/steps', 'must NOT have fewer than 1 items'],
  ])('answers 400 for %s, with the path inside the route', async (_name, route, path, message) => {
    const res = await send(route);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ path, message: expect.stringContaining(message) })]));
  });

  it('has no omnichannel API unless compat.omnichannel enables it (404, and GET elsewhere stays 404)', async () => {
    expect((await gw.request.post('/v1/omnichannel').set('x-api-key', INLINE_KEY).send({ pc: {} })).status).toBe(404);
    expect((await gw.request.get('/v1/nowhere')).status).toBe(404);
  });

  it('still answers an unknown route name with 400', async () => {
    expect((await send('nowhere')).status).toBe(400);
  });
});

describe('gateway.yaml: step from and compat.omnichannel are cross-checked with positions', () => {
  it('refuses a step sender no provider of the step may use', async () => {
    const text = configText(`${PROVIDERS}  other:\n    steps:\n      - { channel: sms, providers: [sms], from: "+15550009999" }\n`);
    expect(await configErrorsOf(text)).toEqual([expect.stringMatching(/^gateway\.yaml:\d+:\d+: routes\.other\.steps\[0\]: no provider of the step may send from "\+15550009999"/)]);
  });

  it('refuses omnichannel providers that do not exist or do not send on their channel', async () => {
    const text = configText(PROVIDERS, 'compat: { omnichannel: { providers: { email: sms, whatsapp: ghost } } }');
    expect(await configErrorsOf(text)).toEqual([
      expect.stringMatching(/^gateway\.yaml:\d+:\d+: compat\.omnichannel\.providers\.email: provider "sms" does not support channel email/),
      expect.stringMatching(/^gateway\.yaml:\d+:\d+: compat\.omnichannel\.providers\.whatsapp: unknown provider "ghost"/),
    ]);
  });
});
