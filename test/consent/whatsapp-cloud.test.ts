/**
 * Consent through the WhatsApp Cloud plugin and the Graph API fake: with no window, the message is
 * held and the opt-in template goes out by name and language; the user's signed reply (from a
 * `wa_id` without `+`) opens the window of the same pair and releases the message as text.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/gateway.js';
import { USER, get, postSigned, send, startSelfHosted, type SelfHosted } from '../self-hosted/setup.js';

let sh: SelfHosted;
beforeEach(async () => {
  sh = await startSelfHosted();
});
afterEach(async () => {
  await sh.close();
});

describe('consent through whatsapp-cloud (Graph API fake)', () => {
  it('holds, sends the opt-in template, and the signed reply releases the message as text', { timeout: 15_000 }, async () => {
    const id = await send(sh.gw.request, { text: 'Your order shipped.' });
    await eventually(async () => {
      expect((await get(sh.gw.request, id)).status).toBe('held');
      expect(sh.meta.sent).toHaveLength(1);
    });
    expect(sh.meta.sent[0].body).toMatchObject({ to: USER.slice(1), type: 'template', template: { name: 'reconnect', language: { code: 'en_US' } } });

    const reply = await postSigned(sh, sh.meta.messagesBody([{ from: USER.slice(1), type: 'button', part: { text: 'Yes', payload: 'OPT_IN' } }]));
    expect(reply.status).toBe(200);
    await eventually(() => expect(sh.meta.sent).toHaveLength(2), 10_000);
    expect(sh.meta.sent[1].body).toMatchObject({ type: 'text', text: { body: 'Your order shipped.' } });
    await postSigned(sh, sh.meta.statusesBody([{ id: sh.meta.sent[1].wamid!, status: 'read' }]));
    await eventually(async () => expect((await get(sh.gw.request, id)).status).toBe('read'));
    expect(sh.twilio.requests).toHaveLength(0);
  });
});
