/**
 * `examples/self-hosted.yaml` as shipped: `switchboard check` passes with its variables, the
 * README shows its text, an SMTP step that waits for `delivered` is refused with the file
 * position, and after a day's traffic `/-/config`, logs and metrics hold none of its secrets.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkCommand } from '../../src/cli/check.js';
import { configErrorsOf } from '../helpers/config-errors.js';
import { metric } from '../helpers/metrics.js';
import { readmeYaml } from '../helpers/readme.js';
import { eventually } from '../helpers/gateway.js';
import { API_KEY, EXAMPLE, USER, exampleEnv, postSigned, send, startSelfHosted } from './setup.js';

describe('examples/self-hosted.yaml', () => {
  it('passes switchboard check with its environment variables set', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await checkCommand(EXAMPLE, { env: exampleEnv(), out: (t) => void out.push(t), err: (t) => void err.push(t) });
    expect(err.join('')).toBe('');
    expect(code).toBe(0);
    expect(out.join('')).toContain('ok (3 providers, 1 routes');
  });

  it('the README shows the example\'s routes and providers, so the two cannot drift apart', () => {
    expect(readFileSync(EXAMPLE, 'utf8')).toContain(readmeYaml('## Self-hosted: WhatsApp Cloud API, SMS, SMTP email'));
  });

  it('an SMTP step waiting for delivered (written, or the default) is a config error at its file:line:column', async () => {
    const text = readFileSync(EXAMPLE, 'utf8')
      .replace('{ channel: email, providers: [mail], until: sent, within: 60s }', '{ channel: email, providers: [mail], until: delivered, within: 60s }');
    const errors = await configErrorsOf(text, exampleEnv());
    const line = text.split('\n').findIndex((l) => l.includes('until: delivered, within: 60s }') && l.includes('mail')) + 1;
    expect(errors).toEqual([expect.stringMatching(new RegExp(`gateway\\.yaml:${line}:\\d+: routes\\.notify\\.steps\\[2\\]: until: delivered can never be met: provider "mail" \\(smtp\\) reports no status past sent`))]);

    const defaulted = await configErrorsOf(text.replace(', until: delivered, within: 60s }', ', within: 60s }'), exampleEnv());
    expect(defaulted).toEqual([expect.stringContaining('(until defaults to delivered)')]);
  });

  it('after sends, webhooks and refusals, /-/config, logs and /metrics hold no secret and no phone number', { timeout: 15_000 }, async () => {
    const sh = await startSelfHosted();
    try {
      const env = exampleEnv({}, sh);
      await postSigned(sh, sh.meta.messagesBody([{ from: USER.slice(1) }]));
      await postSigned(sh, sh.meta.messagesBody([{ from: USER.slice(1) }]), 'forged-secret');
      sh.meta.failNext({ code: 190, status: 401 });
      sh.twilio.failNext({ status: 400, code: 21211 });
      const id = await send(sh.gw.request);
      await eventually(async () => expect((await sh.gw.request.get(`/v1/messages/${id}`).set('x-api-key', API_KEY)).body.status).toBe('sent'), 10_000);

      const config = (await sh.gw.request.get('/-/config').set('x-api-key', API_KEY).expect(200)).body;
      expect(config.providers.whatsapp).toMatchObject({ accessToken: '***', appSecret: '***', verifyToken: '***', phoneNumberId: env.WHATSAPP_PHONE_NUMBER_ID });
      expect(config.providers.mail.auth).toEqual({ user: env.SMTP_USER, pass: '***' });
      const secrets = [env.WHATSAPP_ACCESS_TOKEN, env.WHATSAPP_APP_SECRET, env.WHATSAPP_VERIFY_TOKEN, env.SMTP_PASSWORD, env.TWILIO_AUTH_TOKEN];
      const metrics = (await sh.gw.request.get('/metrics')).text;
      for (const secret of secrets) {
        expect(JSON.stringify(config)).not.toContain(secret);
        expect(sh.gw.logs.join('')).not.toContain(secret);
        expect(metrics).not.toContain(secret);
      }
      for (const address of [USER, USER.slice(1), 'ann@example.org']) expect(metrics).not.toContain(address);
      expect(metric(metrics, 'switchboard_webhooks_total', { provider: 'whatsapp', kind: 'events', result: 'rejected_signature' })).toBe(1);
    } finally {
      await sh.close();
    }
  });
});
