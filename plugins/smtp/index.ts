import type { Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import { lazyImport, parseDuration, readSchema, type PluginDefinition, type PluginDeps, type Provider } from '../../src/plugin-api.js';
import { smtpError } from './errors.js';
import { mailOf } from './mail.js';
import { addressOf, type SmtpOptions } from './options.js';

export type { SmtpOptions } from './options.js';
export { ATTEMPT_HEADER, MESSAGE_HEADER, messageIdOf } from './mail.js';

const nodemailer = lazyImport('nodemailer', () => import('nodemailer'));

/** nodemailer's transport options from ours; nothing from the environment, no nodemailer logging (it would print addresses). */
function transportOptions(options: SmtpOptions): SMTPTransport.Options | SMTPPool.Options {
  const timeoutMs = parseDuration(options.timeout) ?? 30_000;
  const base = {
    host: options.host,
    port: options.port,
    secure: options.secure,
    requireTLS: !options.secure && options.starttls === 'required',
    ignoreTLS: !options.secure && options.starttls === 'never',
    tls: {
      rejectUnauthorized: options.tls.rejectUnauthorized,
      ...(options.tls.ca !== undefined ? { ca: options.tls.ca } : {}),
      ...(options.tls.servername !== undefined ? { servername: options.tls.servername } : {}),
    },
    ...(options.auth ? { auth: { user: options.auth.user, pass: options.auth.pass } } : {}),
    ...(options.dkim ? { dkim: { ...options.dkim } } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    logger: false,
    debug: false,
  };
  return options.pool ? { ...base, pool: true, maxConnections: options.pool.maxConnections, maxMessages: options.pool.maxMessages } : base;
}

/**
 * An SMTP email provider on nodemailer: one message per attempt, status `sent` once the relay
 * accepts it (SMTP has no delivery receipt), the attempt id in the Message-ID and in
 * `X-Switchboard-Attempt`. A 4xx reply is retryable, a 5xx reply permanent with the server's words.
 *
 * @example
 *   const mail = createSmtpProvider({ host: 'smtp.example.com', port: 587, secure: false, starttls: 'required',
 *     tls: { rejectUnauthorized: true }, auth: { user: 'gw', pass }, from: 'alerts@example.com', timeout: '30s' }, deps);
 *   await mail.send({ attemptId, messageId, channel: 'email', to: 'ann@example.org', content: { subject: 'Hi', text: 'Hello' } }, { signal });
 *   // → { providerMessageId: '<01J…@example.com>', status: 'sent', details: { response: '250 2.0.0 Ok: queued as 4B2…' } }
 */
export function createSmtpProvider(options: SmtpOptions, deps: PluginDeps): Provider {
  // nodemailer loads on the first send, so a gateway without SMTP instances never pays for it at start.
  let transport: Transporter | undefined;
  async function transporter(): Promise<Transporter> {
    const { default: mailer } = await nodemailer();
    // Checked after the await: two first sends at once must share one pool.
    transport ??= mailer.createTransport(transportOptions(options));
    return transport;
  }
  if (!options.secure && options.starttls !== 'required' && options.auth) {
    deps.logger.warn({ instance: deps.instance }, 'smtp: credentials may cross a plain connection (starttls is not required)');
  }
  if (!options.tls.rejectUnauthorized) deps.logger.warn({ instance: deps.instance }, 'smtp: tls.rejectUnauthorized is false; any certificate is accepted');

  return {
    async send(message, { signal }) {
      const mail = mailOf(message, options);
      // nodemailer takes no AbortSignal: the conversation is bounded by its timeouts instead.
      if (signal.aborted) throw smtpError({ code: 'ETIMEDOUT', message: 'aborted before the conversation started' }, options.host);
      try {
        const info = await (await transporter()).sendMail(mail);
        return {
          providerMessageId: info.messageId ?? String(mail.messageId),
          status: 'sent',
          details: { response: String(info.response ?? '').replace(/[\r\n]+/g, ' ').slice(0, 200), ...(message.content.media?.length ? { mediaDropped: message.content.media.length } : {}) },
        };
      } catch (err) {
        throw smtpError(err, options.host);
      }
    },
    async close() {
      transport?.close();
    },
  };
}

export const smtpPlugin: PluginDefinition<SmtpOptions> = {
  name: 'smtp',
  optionsSchema: readSchema('plugins/smtp.schema.json'),
  channels: () => ['email'],
  sender: (options) => addressOf(options.from).toLowerCase(),
  furthestStatus: () => 'sent',
  create: createSmtpProvider,
};
