/**
 * STOP / START / HELP from users through a provider's inbound webhook (the mock plugin), on the
 * file store: what later sends do, what the user is sent back, and what operators see.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { StoreUnavailableError } from '../../src/errors.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { metric } from '../helpers/metrics.js';
import { A_FROM, B_FROM, OTHER_USER, USER, WA_FROM, done, entries, inbound, notices, outline, send, suppressionConfig } from './helpers.js';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

describe('STOP, START and HELP', () => {
  it('STOP skips the later SMS and MMS steps from that number, records why, and the route moves on; START restores them', async () => {
    gw = await startGateway(suppressionConfig());
    const before = await done(gw, await send(gw, 'sms-a'));
    expect(outline(before)).toEqual({ sent: ['sms'], skipped: [] });

    await inbound(gw, 'sms-a', 'STOP');
    const [entry] = await entries(gw);
    expect(entry).toMatchObject({ channel: 'sms', sender: A_FROM, address: USER, source: 'keyword', detail: 'STOP' });

    const skipped = await done(gw, await send(gw, 'sms-a'));
    expect(skipped.status).toBe('delivered');
    expect(outline(skipped)).toEqual({ sent: ['email'], skipped: [`suppressed: STOP received ${entry.at}`] });
    expect(skipped.steps.map((s) => s.state)).toEqual(['skipped', 'succeeded']);
    // MMS is the same channel for opt-outs: a picture does not get past STOP.
    const mms = await done(gw, await send(gw, 'mms-a'));
    expect(outline(mms).sent).toEqual(['email']);
    expect(outline(mms).skipped[0]).toMatch(/^suppressed: STOP received 20\d\d-/);

    const metrics = (await gw.request.get('/metrics')).text;
    expect(metric(metrics, 'switchboard_suppressed_steps_total', { route: 'sms-a', channel: 'sms' })).toBe(1);
    expect(metric(metrics, 'switchboard_suppressed_steps_total', { route: 'mms-a', channel: 'mms' })).toBe(1);
    expect(metric(metrics, 'switchboard_suppression_list_size', { channel: 'sms' }, Number.NaN)).toBe(1);
    expect(metric(metrics, 'switchboard_suppression_list_size', { channel: 'whatsapp' }, Number.NaN)).toBe(0);

    // Another user of the same number is not affected.
    expect(outline(await done(gw, await send(gw, 'sms-a', { phone: OTHER_USER, email: 'o@example.com' }))).sent).toEqual(['sms']);

    await inbound(gw, 'sms-a', 'START');
    expect(await entries(gw)).toEqual([]);
    expect(outline(await done(gw, await send(gw, 'sms-a'))).sent).toEqual(['sms']);
    expect(metric((await gw.request.get('/metrics')).text, 'switchboard_suppression_list_size', { channel: 'sms' }, Number.NaN)).toBe(0);
  });

  it('matches the whole message, whatever its case, whitespace and surrounding punctuation', async () => {
    gw = await startGateway(suppressionConfig());
    for (const text of ['please stop texting me', 'STOP it', 'stopp', '']) await inbound(gw, 'sms-a', text);
    expect(await entries(gw)).toEqual([]);
    for (const [i, text] of ['  stop ', 'Stop!\n', '\tUnSubscribe.', 'ｓｔｏｐ'].entries()) {
      await inbound(gw, 'sms-a', text, { from: `+1555765100${i}` });
    }
    expect((await entries(gw)).map((e) => [e.address, e.detail]).sort()).toEqual([
      ['+15557651000', 'STOP'], ['+15557651001', 'STOP'], ['+15557651002', 'UNSUBSCRIBE'], ['+15557651003', 'STOP'],
    ]);
    await inbound(gw, 'sms-a', ' start ', { from: '+15557651000' });
    await inbound(gw, 'sms-a', 'unstop', { from: '+15557651001' });
    expect((await entries(gw)).map((e) => e.address).sort()).toEqual(['+15557651002', '+15557651003']);
  });

  it('HELP gets the configured answer through the instance written to, even from an opted-out user', async () => {
    gw = await startGateway(suppressionConfig());
    await inbound(gw, 'sms-a', 'STOP');
    await inbound(gw, 'sms-a', ' help ');
    await inbound(gw, 'sms-b', 'Info');
    const help = await Promise.all((await notices(gw, 'help')).map((m) => done(gw!, m.id)));
    // A notice is done once sent; the mock's delivered receipt may upgrade it a moment later.
    const reached = (status: string) => ['sent', 'delivered'].includes(status);
    expect(help.map((m) => [m.attempts[0].provider, m.to.sms, m.content.text, reached(m.status)]).sort()).toEqual([
      ['sms-a', USER, 'Acme alerts: reply STOP to opt out.', true],
      ['sms-b', USER, 'Acme alerts: reply STOP to opt out.', true],
    ]);
    // HELP changes nothing on the list.
    expect((await entries(gw)).map((e) => e.sender)).toEqual([A_FROM]);
  });

  it('confirms an opt-out and an opt-in once, only for real changes, and never through an instance whose provider confirms itself', async () => {
    gw = await startGateway(suppressionConfig());
    await inbound(gw, 'sms-a', 'STOP');
    await inbound(gw, 'sms-a', 'QUIT');
    const optOut = await notices(gw, 'opt-out');
    expect(optOut.map((m) => [m.plan.steps[0].providers[0], m.to.sms, m.content.text])).toEqual([['sms-a', USER, 'You are unsubscribed.']]);
    expect(['sent', 'delivered']).toContain((await done(gw, optOut[0].id)).status);

    // "YES" answering an everyday question lifts nothing, so it confirms nothing.
    await inbound(gw, 'sms-a', 'yes', { from: OTHER_USER });
    await inbound(gw, 'sms-a', 'yes');
    const optIn = await notices(gw, 'opt-in');
    expect(optIn.map((m) => [m.to.sms, m.content.text])).toEqual([[USER, 'You are subscribed again.']]);

    // sms-b's provider sends its own confirmations (providerConfirms): the opt-out counts, nothing is sent.
    await inbound(gw, 'sms-b', 'STOP');
    expect((await entries(gw)).map((e) => e.sender)).toEqual([B_FROM]);
    expect(await notices(gw, 'opt-out')).toHaveLength(1);
  });

  it('keeps opt-outs per channel and business sender: SMS STOP leaves WhatsApp alone, WhatsApp STOP leaves SMS alone', async () => {
    gw = await startGateway(suppressionConfig());
    await inbound(gw, 'sms-b', 'STOP');
    // Opted out of B's number only: A's number still texts the user.
    expect(outline(await done(gw, await send(gw, 'sms-a'))).sent).toEqual(['sms']);
    expect(outline(await done(gw, await send(gw, 'sms-b'))).sent).toEqual(['email']);

    await inbound(gw, 'wa', 'stop');
    expect((await entries(gw, '?channel=whatsapp')).map((e) => [e.channel, e.sender, e.address])).toEqual([['whatsapp', WA_FROM, USER]]);
    // WhatsApp skipped, and the route's SMS step (A's number) still sends.
    const m = await done(gw, await send(gw, 'wa-then-sms'));
    expect(outline(m).sent).toEqual(['sms']);
    expect(outline(m).skipped).toHaveLength(1);
  });

  it('takes its keywords from the config, and a reload brings new ones at once', async () => {
    const custom = (words: string) => suppressionConfig(`suppression: { keywords: { optOut: [${words}] } }`);
    gw = await startGateway(custom('ARRET, "opt out"'));
    await inbound(gw, 'sms-a', 'STOP');
    expect(await entries(gw)).toEqual([]);
    await inbound(gw, 'sms-a', 'Arrêt');
    await inbound(gw, 'sms-a', 'Opt   Out', { from: OTHER_USER });
    expect((await entries(gw)).map((e) => [e.address, e.detail]).sort()).toEqual([[USER, 'ARRET'], [OTHER_USER, 'OPT OUT']].sort());

    writeFileSync(gw.file, custom('CANCEL'));
    await gw.request.post('/-/reload').set('x-api-key', 'test-key-0123456789').expect(200);
    await inbound(gw, 'sms-a', 'cancel', { from: '+15557659999' });
    await inbound(gw, 'sms-a', 'arret', { from: '+15557658888' });
    expect((await entries(gw)).map((e) => e.address).sort()).toEqual([OTHER_USER, USER, '+15557659999'].sort());
  });

  it('a STOP survives a restart', async () => {
    gw = await startGateway(suppressionConfig());
    await inbound(gw, 'sms-a', 'STOP');
    const { dir } = gw;
    await gw.close(true);
    gw = await startGateway(suppressionConfig(), { dir });
    expect((await entries(gw)).map((e) => e.address)).toEqual([USER]);
    expect(outline(await done(gw, await send(gw, 'sms-a'))).sent).toEqual(['email']);
  });

  it('stores and ignores a keyword whose sender is no user address, and ignores email', async () => {
    gw = await startGateway(suppressionConfig());
    await inbound(gw, 'sms-a', 'STOP', { from: 'not a number' });
    await inbound(gw, 'mail', 'STOP', { from: 'user@example.com', to: 'alerts@example.com' });
    expect(await entries(gw)).toEqual([]);
    const stored = await gw.request.get('/v1/inbound').set('x-api-key', 'test-key-0123456789').expect(200);
    expect(stored.body.items).toHaveLength(2);
  });
});

describe('a failing store', () => {
  it('never fails the webhook (the provider would retry a copy de-duplication drops), and the opt-out is written by the next commit', async () => {
    gw = await startGateway(suppressionConfig());
    const store = gw.app.store;
    const commit = store.commit.bind(store);
    let calls = 0;
    // The inbound record's own commit succeeds; the suppression's commit right after it fails.
    store.commit = () => (++calls === 2 ? Promise.reject(new StoreUnavailableError(new Error('disk full'))) : commit());
    await inbound(gw, 'sms-a', 'STOP');
    store.commit = commit;
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(gw.logs.join('')).toContain('suppression: handling an inbound keyword failed');

    await store.commit();
    const { dir } = gw;
    await gw.close(true);
    gw = await startGateway(suppressionConfig(), { dir });
    expect((await entries(gw)).map((e) => [e.address, e.source])).toEqual([[USER, 'keyword']]);
  });
});
