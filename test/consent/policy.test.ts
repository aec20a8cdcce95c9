/**
 * Issue 8's consent flow on the file store and fake time: the window an inbound opens, holds with
 * one opt-in template, release on reply (oldest first), expiry into SMS or `expired`, the late
 * reply notice, cancel, a failing template, and the operator's view.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { API_KEY, settle, startGateway, type TestGateway } from '../helpers/gateway.js';
import { BUSINESS, consentConfig, consentOf, get, optIns, own, reply, send, withBusiness } from './setup.js';

const HOUR = 3_600_000;

describe('WhatsApp consent policy (file store, fake time)', () => {
  let gw: TestGateway;

  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.setSystemTime(new Date('2026-11-28T10:00:00Z'));
    gw = await startGateway(consentConfig());
  });
  afterEach(async () => {
    await gw.close();
    vi.useRealTimers();
  });

  // Sends and commits run on real I/O between fake ticks: settle before and after moving time.
  async function tick(): Promise<void> {
    await settle(gw.app);
    await vi.advanceTimersByTimeAsync(0);
    await settle(gw.app);
  }
  async function advance(ms: number): Promise<void> {
    await tick();
    await vi.advanceTimersByTimeAsync(ms);
    await tick();
  }

  it('sends at once inside an open window', async () => {
    await reply(gw.request, '+15551110001');
    const id = await send(gw.request, '+15551110001');
    await advance(2000);
    const m = await get(gw.request, id);
    expect(m.status).toBe('delivered');
    expect(optIns(m)).toHaveLength(0);
    expect(own(m).map((a) => a.channel)).toEqual(['whatsapp']);
    expect(m.history.some((h) => h.event === 'step_held')).toBe(false);
  });

  it('holds three messages to a user who never wrote with one template, releases them in order on the reply', async () => {
    const user = '+15551110002';
    const ids = [await send(gw.request, user), await send(gw.request, user), await send(gw.request, user)];
    await advance(2000);
    const held = await Promise.all(ids.map((id) => get(gw.request, id)));
    expect(held.map((m) => m.status)).toEqual(['held', 'held', 'held']);
    // One template for the three: an attempt of the first message only, and nothing free-form.
    expect(held.map((m) => optIns(m).length)).toEqual([1, 0, 0]);
    expect(held.flatMap(own)).toHaveLength(0);
    expect(held[0].history.find((h) => h.event === 'step_held')?.cause).toBe('consent: no open WhatsApp window; opt-in template reconnect (en) sent');
    expect(held[1].history.find((h) => h.event === 'step_held')?.cause).toMatch(/^consent: no open WhatsApp window; opt-in template reconnect already sent at 2026-11-28T10:00/);
    expect(optIns(held[0])[0]).toMatchObject({ channel: 'whatsapp', provider: 'wa', to: user, status: 'delivered' });
    // The template reaching the user does not make the message delivered.
    expect(held[0].status).toBe('held');
    const state = await withBusiness(gw.request, user);
    expect(state).toMatchObject({ providers: ['wa'], window: { open: false, closesAt: null }, held: 3, lastOptIn: { template: 'reconnect', messageId: ids[0] }, lateReplyPending: false });
    expect(await metric('switchboard_held_messages')).toBe(3);
    expect(await metric('switchboard_consent_optin_templates_total{policy="optin"}')).toBe(1);

    await advance(10 * 60_000);
    await reply(gw.request, user, 'ok, send it');
    await advance(0);
    const released = await Promise.all(ids.map((id) => get(gw.request, id)));
    const firstSends = released.map((m) => own(m)[0]);
    expect(firstSends.every((a) => a?.channel === 'whatsapp')).toBe(true);
    // Oldest first: attempt ids are time-ordered, and were made in release order.
    expect([...firstSends.map((a) => a.id)].sort()).toEqual(firstSends.map((a) => a.id));
    expect(released[0].history.find((h) => h.event === 'released')?.cause).toBe('consent: the user replied; WhatsApp window open until 2026-11-29T10:10:02.000Z');
    await advance(2000);
    expect((await Promise.all(ids.map((id) => get(gw.request, id)))).map((m) => m.status)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(await withBusiness(gw.request, user)).toMatchObject({ window: { open: true, closesAt: '2026-11-29T10:10:02.000Z' }, held: 0 });
    expect(await metric('switchboard_held_messages')).toBe(0);
    expect(await metric('switchboard_consent_releases_total{policy="optin"}')).toBe(3);
    // The hold timers went with the release: nothing happens at the 2 h mark.
    await advance(2 * HOUR);
    expect((await get(gw.request, ids[0])).attempts).toHaveLength(2);
  });

  it('falls back to SMS with the reason when nobody replies within the hold, and the late reply gets one notice', async () => {
    const user = '+15551110003';
    const id = await send(gw.request, user);
    await advance(2000);
    expect((await get(gw.request, id)).status).toBe('held');
    await advance(2 * HOUR - 3000);
    expect((await get(gw.request, id)).status).toBe('held');
    await advance(5000);
    await advance(5000);
    const m = await get(gw.request, id);
    expect(m.status).toBe('delivered');
    expect(own(m).map((a) => a.channel)).toEqual(['sms']);
    expect(m.steps[0]).toMatchObject({ state: 'timed_out' });
    expect(m.history.find((h) => h.event === 'fallback')?.cause).toBe('fallback: consent: no reply within 2h');
    expect(await withBusiness(gw.request, user)).toMatchObject({ held: 0, lateReplyPending: true });
    expect(await metric('switchboard_consent_expiries_total{policy="optin",outcome="fallback"}')).toBe(1);

    await advance(HOUR);
    await reply(gw.request, user, 'what was it?');
    await reply(gw.request, user, 'hello?');
    await advance(2000);
    const notices = (await gw.request.get('/v1/messages?route=system:late-reply').set('x-api-key', API_KEY).expect(200)).body.items;
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ to: { whatsapp: user }, content: { text: 'Sorry, the message we held for you has expired.' }, status: 'delivered' });
    expect(notices[0].attempts).toEqual([expect.objectContaining({ channel: 'whatsapp', provider: 'wa' })]);
    expect(await withBusiness(gw.request, user)).toMatchObject({ lateReplyPending: false, window: { open: true } });
    expect(await metric('switchboard_consent_late_reply_notices_total{policy="optin"}')).toBe(1);
  });

  it('expires the message in expire mode', async () => {
    const id = await send(gw.request, '+15551110004', { route: 'strict' });
    await advance(HOUR + 2000);
    const m = await get(gw.request, id);
    expect(m.status).toBe('expired');
    expect(m.steps[0].state).toBe('expired');
    expect(m.history.filter((h) => h.event === 'expired')).toEqual([expect.objectContaining({ cause: 'consent: no reply within 1h' })]);
    expect(own(m)).toHaveLength(0);
    // No lateReply in this policy: a reply now sends nothing.
    await reply(gw.request, '+15551110004');
    await advance(2000);
    expect((await gw.request.get('/v1/messages?route=system:late-reply').set('x-api-key', API_KEY)).body.items).toHaveLength(0);
  });

  it('closes the window 24 h after the user last wrote', async () => {
    const user = '+15551110005';
    await reply(gw.request, user);
    await advance(23 * HOUR);
    const inside = await send(gw.request, user);
    await advance(2000);
    expect((await get(gw.request, inside)).status).toBe('delivered');
    await advance(HOUR);
    const outside = await send(gw.request, user);
    await advance(2000);
    const m = await get(gw.request, outside);
    expect(m.status).toBe('held');
    expect(optIns(m)).toHaveLength(1);
    // A later message refreshes the window for another 24 h.
    await reply(gw.request, user);
    await advance(20 * HOUR);
    const refreshed = await send(gw.request, user);
    await advance(2000);
    expect((await get(gw.request, refreshed)).status).toBe('delivered');
  });

  it('sends template content outside the window', async () => {
    const id = await send(gw.request, '+15551110006', { content: { channels: { whatsapp: { template: { name: 'order_update', language: 'en' } } }, text: 'fallback text' } });
    await advance(2000);
    const m = await get(gw.request, id);
    expect(m.status).toBe('delivered');
    expect(optIns(m)).toHaveLength(0);
  });

  it('picks the opt-in template by locale: pt-BR, pt_PT → pt, es, fr → default', async () => {
    const cases: Array<[string, string]> = [['pt-BR', 'reconnect_br (pt_BR)'], ['pt_PT', 'reconnect_pt (pt)'], ['es', 'reconnect_es (es)'], ['fr', 'reconnect (en)']];
    for (const [i, [locale, template]] of cases.entries()) {
      const id = await send(gw.request, `+1555111002${i}`, { locale });
      await advance(0);
      expect((await get(gw.request, id)).history.find((h) => h.event === 'step_held')?.cause).toBe(`consent: no open WhatsApp window; opt-in template ${template} sent`);
    }
  });

  it('cancel ends the hold: nothing is held, the hold timer never fires', async () => {
    const user = '+15551110007';
    const id = await send(gw.request, user);
    await advance(2000);
    expect((await withBusiness(gw.request, user)).held).toBe(1);
    await gw.request.post(`/v1/messages/${id}/cancel`).set('x-api-key', API_KEY).expect(200);
    expect(await withBusiness(gw.request, user)).toMatchObject({ held: 0 });
    expect(await metric('switchboard_held_messages')).toBe(0);
    await advance(3 * HOUR);
    const m = await get(gw.request, id);
    expect(m.status).toBe('canceled');
    expect(own(m)).toHaveLength(0);
    // A reply later releases nothing.
    await reply(gw.request, user);
    await advance(2000);
    expect((await get(gw.request, id)).attempts).toHaveLength(1);
  });

  it('fails the step when the opt-in template cannot be sent, and the route goes on', async () => {
    const user = '+15551110008';
    const id = await send(gw.request, user, { route: 'broken' });
    await advance(2000);
    const m = await get(gw.request, id);
    expect(m.status).toBe('delivered');
    expect(m.steps[0].state).toBe('failed');
    expect(m.history.find((h) => h.event === 'step_failed')?.cause).toMatch(/^consent: the opt-in template could not be sent \(wa-broken: /);
    expect(own(m).map((a) => a.channel)).toEqual(['sms']);
    // The template reached nobody, so none counts as sent to this user.
    const state = (await consentOf(gw.request, user)).senders.find((s) => s.sender === '+15550000002');
    expect(state).toMatchObject({ held: 0, lastOptIn: null });
  });

  it('stores and ignores an inbound it cannot key, and refuses a malformed address', async () => {
    await gw.request.post('/webhooks/wa/inbound').send({ from: 'not a number', to: BUSINESS, text: 'hi', channel: 'whatsapp' }).expect(200);
    const stored = (await gw.request.get('/v1/inbound').set('x-api-key', API_KEY).expect(200)).body.items;
    expect(stored).toHaveLength(1);
    const bad = await gw.request.get('/v1/consent/whatsapp/not-a-number').set('x-api-key', API_KEY);
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_failed');
    await gw.request.get('/v1/consent/whatsapp/+15551110009').expect(401);
    // The read-only scope is enough, and `whatsapp:` spellings name the same user.
    const state = await consentOf(gw.request, 'whatsapp:+1 555 111 0009');
    expect(state.address).toBe('+15551110009');
    expect(state.senders.map((s) => s.sender).sort()).toEqual([BUSINESS, '+15550000002']);
  });

  async function metric(line: string): Promise<number> {
    const text = (await gw.request.get('/metrics')).text;
    const found = text.split('\n').find((l) => l.startsWith(`${line} `));
    return found === undefined ? Number.NaN : Number(found.split(' ').at(-1));
  }
});
