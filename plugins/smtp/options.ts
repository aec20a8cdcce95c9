/**
 * One SMTP instance's section of `gateway.yaml`, validated against
 * `schemas/plugins/smtp.schema.json` (defaults applied) and frozen.
 *
 * @example
 *   { host: 'smtp.example.com', port: 587, secure: false, starttls: 'required', tls: { rejectUnauthorized: true },
 *     auth: { user: 'gateway', pass: '…' }, from: 'Example Co <alerts@example.com>', pool: { maxConnections: 2, maxMessages: 100 }, timeout: '30s' }
 */
export interface SmtpOptions {
  host: string;
  port: number;
  secure: boolean;
  starttls: 'required' | 'opportunistic' | 'never';
  tls: { ca?: string; servername?: string; rejectUnauthorized: boolean };
  auth?: { user: string; pass: string };
  from: string;
  replyTo?: string;
  messageIdDomain?: string;
  pool?: { maxConnections: number; maxMessages: number };
  dkim?: { domainName: string; keySelector: string; privateKey: string };
  timeout: string;
}

/** `alerts@example.com` out of `Example Co <alerts@example.com>` (or the address itself). */
export function addressOf(from: string): string {
  return (/<([^<>]+)>\s*$/.exec(from)?.[1] ?? from).trim();
}

/** The Message-ID's domain: configured, else the sender's. */
export function messageIdDomain(options: Pick<SmtpOptions, 'from' | 'messageIdDomain'>): string {
  return options.messageIdDomain ?? (addressOf(options.from).split('@')[1] || 'switchboard.invalid');
}
