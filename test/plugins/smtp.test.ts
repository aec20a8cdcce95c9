/**
 * The SMTP plugin with real nodemailer against a real SMTP server (smtp-server) on a local port:
 * STARTTLS and AUTH, the attempt id in Message-ID and a header, how replies classify, and
 * servers that drop the connection mid-DATA or speak garbage.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ATTEMPT_HEADER, createSmtpProvider, type SmtpOptions } from '../../plugins/smtp/index.js';
import type { OutboundMessage, Provider } from '../../src/plugin-api.js';
import { startGarbageSmtp, startSmtpFake, type SmtpFake } from '../fakes/smtp-fake.js';
import { pluginDeps, rejection } from '../helpers/plugin-deps.js';

let smtp: SmtpFake;
const providers: Provider[] = [];
beforeEach(async () => {
  smtp = await startSmtpFake();
});
afterEach(async () => {
  for (const p of providers.splice(0)) await p.close?.();
  await smtp.close();
});

function provider(overrides: Partial<SmtpOptions> = {}): Provider {
  const p = createSmtpProvider(Object.freeze({
    host: '127.0.0.1', port: smtp.port, secure: false, starttls: 'required' as const, tls: { ca: smtp.ca, rejectUnauthorized: true },
    auth: { user: smtp.user, pass: smtp.pass }, from: 'Example Co <alerts@example.com>', timeout: '2s', ...overrides,
  }), pluginDeps('mail'));
  providers.push(p);
  return p;
}

const email = (overrides: Partial<OutboundMessage> = {}): OutboundMessage => ({
  attemptId: '01JATTEMPT0000000000000001', messageId: '01JMESSAGE0000000000000001', channel: 'email', to: 'ann@example.org',
  content: { subject: 'Your order', text: 'It shipped.', html: '<p>It shipped.</p>' }, ...overrides,
});
const send = (p: Provider, m = email()) => p.send(m, { signal: new AbortController().signal });

describe('smtp plugin (nodemailer against smtp-server)', () => {
  it('upgrades with STARTTLS, logs in, and delivers text + HTML with the attempt id in Message-ID and a header; status sent', async () => {
    const receipt = await send(provider());
    expect(smtp.received).toHaveLength(1);
    const [mail] = smtp.received;
    expect(mail).toMatchObject({ from: 'alerts@example.com', to: ['ann@example.org'], secure: true, user: smtp.user });
    expect(mail.headers['message-id']).toBe('<01JATTEMPT0000000000000001@example.com>');
    expect(mail.headers[ATTEMPT_HEADER.toLowerCase()]).toBe('01JATTEMPT0000000000000001');
    expect(mail.headers.subject).toBe('Your order');
    expect(mail.headers['content-type']).toMatch(/^multipart\/alternative/);
    expect(mail.raw).toContain('It shipped.');
    expect(mail.raw).toContain('<p>It shipped.</p>');
    expect(receipt).toMatchObject({ providerMessageId: '<01JATTEMPT0000000000000001@example.com>', status: 'sent' });
    expect(receipt.details?.response).toContain('queued as FAKE1');
  });

  it('signs with DKIM when configured', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    await send(provider({ dkim: { domainName: 'example.com', keySelector: 'mail2026', privateKey } }));
    expect(smtp.received[0].headers['dkim-signature']).toMatch(/d=example\.com;.*s=mail2026;/);
  });

  it('a pool reuses one connection for several messages', async () => {
    const p = provider({ pool: { maxConnections: 1, maxMessages: 100 } });
    for (let i = 0; i < 3; i += 1) await send(p, email({ attemptId: `att-${i}` }));
    expect(smtp.received.map((m) => m.headers['message-id'])).toEqual(['<att-0@example.com>', '<att-1@example.com>', '<att-2@example.com>']);
    expect(smtp.connections).toBe(1);
  });

  it('4xx is retryable and 5xx permanent, both with the server\'s reply; a wrong password is auth and never quoted', async () => {
    const p = provider();
    smtp.failNext({ stage: 'rcpt', code: 452, message: 'Mailbox temporarily full' });
    const temporary = await rejection(send(p));
    expect(temporary).toMatchObject({ retryable: true, providerCode: '452' });
    expect(temporary.message).toContain('Mailbox temporarily full');

    smtp.failNext({ stage: 'data', code: 554, message: 'Message rejected as spam' });
    const permanent = await rejection(send(p));
    expect(permanent).toMatchObject({ retryable: false, reason: 'client', providerCode: '554' });
    expect(permanent.message).toContain('Message rejected as spam');

    const auth = await rejection(send(provider({ auth: { user: smtp.user, pass: 'wrong-password-xyz' } })));
    expect(auth).toMatchObject({ reason: 'auth', retryable: false });
    expect(`${auth.message}${auth.stack}`).not.toContain('wrong-password-xyz');
    expect(smtp.received).toHaveLength(0);
  });

  it('requires STARTTLS by default: a certificate it cannot trust fails as TLS, not as a plain-text send', async () => {
    const err = await rejection(send(provider({ tls: { rejectUnauthorized: true } })));
    expect(err.providerCode).toBe('ETLS');
    expect(err.retryable).toBe(false);
    expect(smtp.received).toHaveLength(0);
  });

  it('with starttls: required, a relay that stops advertising STARTTLS (a stripping attack) still gets the mail only over TLS', async () => {
    const stripped = await startSmtpFake({ hideStartTls: true });
    try {
      await send(provider({ port: stripped.port }));
      expect(stripped.received.map((m) => m.secure)).toEqual([true]);
    } finally {
      await stripped.close();
    }
  });

  it('a connection dropped mid-DATA is a retryable failure, and the next send on the same pool still works', async () => {
    const p = provider({ pool: { maxConnections: 1, maxMessages: 100 } });
    smtp.failNext({ stage: 'data', drop: true });
    const err = await rejection(send(p, email({ content: { subject: 'big', text: 'x'.repeat(200_000) } })));
    expect(err.retryable).toBe(true);
    expect(smtp.received).toHaveLength(0);
    await send(p);
    expect(smtp.received).toHaveLength(1);
  });

  it('a server that answers garbage is a clear retryable error, not a hang or a crash', async () => {
    const garbage = await startGarbageSmtp();
    try {
      const err = await rejection(send(provider({ port: garbage.port, timeout: '1s' })));
      expect(err.retryable).toBe(true);
      expect(err.message).toMatch(/SMTP/);
    } finally {
      await garbage.close();
    }
  });

  it('refuses content SMTP cannot carry without connecting', async () => {
    const err = await rejection(send(provider(), email({ content: { template: { name: 'welcome', language: 'en' } } })));
    expect(err).toMatchObject({ reason: 'client', retryable: false });
    expect(err.message).toContain('no templates');
    expect(smtp.connections).toBe(0);
  });
});
