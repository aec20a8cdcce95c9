import { ProviderError, type ProviderErrorReason } from '../../src/plugin-api.js';

/** What nodemailer puts on the errors it throws (`code`, and for an SMTP answer `responseCode` + `response`). */
interface SmtpFailure {
  code?: string;
  /** Node's own code under a socket error (`DEPTH_ZERO_SELF_SIGNED_CERT`, `ERR_TLS_CERT_ALTNAME_INVALID`…). */
  originalCode?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  message?: string;
}

// Answers that mean our credentials are wrong or missing, not that the message is bad.
const AUTH_REPLIES = new Set([530, 534, 535, 538]);

// One line, bounded: a hostile relay's reply ends up in attempts and logs.
const oneLine = (text: string | undefined): string => (text ?? '').replace(/[\r\n]+/g, ' ').replace(/[^\x20-\x7e]/g, '?').trim().slice(0, 300);

function reasonOfReply(code: number): ProviderErrorReason {
  if (code >= 400 && code < 500) return 'server';
  return AUTH_REPLIES.has(code) ? 'auth' : 'client';
}

/**
 * A failed SMTP conversation as one classified ProviderError: a 4xx reply is a temporary refusal
 * (retryable), a 5xx reply is permanent and keeps the server's words; without a reply, a timeout
 * or a dropped or garbled connection is retryable, a TLS failure is not (retrying does not fix a
 * certificate or a relay without STARTTLS). No `cause`: nodemailer errors can carry the envelope.
 */
export function smtpError(err: unknown, host: string): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as SmtpFailure;
  if (typeof e.responseCode === 'number' && e.responseCode >= 400 && e.responseCode < 600) {
    const reply = oneLine(e.response) || String(e.responseCode);
    return new ProviderError(`SMTP server ${host} refused ${e.command ? `${e.command.split(' ')[0]} ` : ''}with ${reply}`, {
      reason: reasonOfReply(e.responseCode),
      providerCode: String(e.responseCode),
    });
  }
  const what = oneLine(e.message) || 'no details';
  // A certificate the relay's chain does not satisfy surfaces as a socket error with the TLS code beneath.
  const code = e.code === 'ESOCKET' && /CERT|TLS|SSL/.test(e.originalCode ?? '') ? 'ETLS' : e.code;
  switch (code) {
    case 'EAUTH':
      return new ProviderError(`SMTP server ${host} refused the login: ${what}`, { reason: 'auth', providerCode: e.code });
    case 'ETIMEDOUT':
      return new ProviderError(`SMTP server ${host} did not answer in time; the message may or may not have been accepted: ${what}`, { reason: 'timeout', providerCode: e.code });
    case 'ETLS':
      return new ProviderError(`TLS with SMTP server ${host} failed (check starttls, tls.ca and tls.servername): ${what}`, { reason: 'client', providerCode: 'ETLS' });
    case 'EPROTOCOL':
      return new ProviderError(`SMTP server ${host} answered something that is not SMTP: ${what}`, { reason: 'server', providerCode: e.code });
    case 'EENVELOPE':
    case 'EMESSAGE':
      return new ProviderError(`the message cannot be sent by SMTP: ${what}`, { reason: 'client', providerCode: e.code });
    default:
      return new ProviderError(`SMTP conversation with ${host} failed${e.code ? ` (${e.code})` : ''}: ${what}`, { reason: 'server', providerCode: e.code });
  }
}
