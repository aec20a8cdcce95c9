/**
 * A real SMTP server for tests (the `smtp-server` package) that speaks STARTTLS and AUTH and
 * records every message it accepts, with scripted refusals and a connection dropped mid-DATA;
 * and a "relay" that answers garbage, for the plugin's bad-input paths.
 *
 * @example
 *   const smtp = await startSmtpFake();
 *   // plugin options: { host: '127.0.0.1', port: smtp.port, tls: { ca: smtp.ca }, auth: { user: smtp.user, pass: smtp.pass }, … }
 *   smtp.failNext({ stage: 'rcpt', code: 550, message: 'No such user' });
 *   smtp.received[0].headers['message-id'];
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

const here = new URL('./smtp-tls/', import.meta.url);
/** A self-signed certificate for 127.0.0.1 and localhost, for tests only. */
export const TEST_CA = readFileSync(new URL('test-only.crt', here), 'utf8');
const TEST_KEY = readFileSync(new URL('test-only.key', here), 'utf8');

export interface ReceivedMail {
  from: string;
  to: string[];
  /** Lower-case header names; a repeated header keeps the last value. */
  headers: Record<string, string>;
  raw: string;
  /** Whether the conversation had been upgraded to TLS (STARTTLS) when the mail came. */
  secure: boolean;
  user?: string;
}

export type SmtpFailure =
  | { stage: 'mail' | 'rcpt' | 'data'; code: number; message: string }
  /** Reads part of the message, then closes the connection without answering DATA. */
  | { stage: 'data'; drop: true };

export interface SmtpFake {
  port: number;
  ca: string;
  user: string;
  pass: string;
  received: ReceivedMail[];
  /** Connections opened, to see a pool reuse them. */
  connections: number;
  failNext(failure: SmtpFailure, times?: number): void;
  close(): Promise<void>;
}

/** Header block of a raw message → lower-case names to unfolded values. */
export function parseHeaders(raw: string): Record<string, string> {
  const head = raw.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
  const out: Record<string, string> = {};
  for (const line of head.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}

const refusal = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

/** `hideStartTls`: the server does not offer STARTTLS, as a misconfigured or downgraded relay. */
export async function startSmtpFake(options: { user?: string; pass?: string; hideStartTls?: boolean } = {}): Promise<SmtpFake> {
  const user = options.user ?? 'gateway';
  const pass = options.pass ?? 'smtp-test-password-0123';
  const failures: SmtpFailure[] = [];
  const received: ReceivedMail[] = [];
  const users = new Map<string, string>();
  const take = (stage: SmtpFailure['stage']) => (failures[0]?.stage === stage ? failures.shift() : undefined);

  // smtp-server keeps its connections (with their sockets) in a set it does not type.
  const open = () => (server as unknown as { connections: Set<{ id: string; _socket?: Socket }> }).connections;
  const socketOf = (id: string) => [...open()].find((c) => c.id === id)?._socket;

  const server = new SMTPServer({
    key: TEST_KEY,
    cert: TEST_CA,
    // AUTH is refused until STARTTLS (allowInsecureAuth false): a plain login cannot pass unnoticed.
    allowInsecureAuth: false,
    hideSTARTTLS: options.hideStartTls ?? false,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onConnect(_session, cb) {
      fake.connections += 1;
      cb();
    },
    onAuth(auth, session: SMTPServerSession, cb) {
      if (auth.username !== user || auth.password !== pass) return cb(refusal(535, 'Authentication credentials invalid'));
      users.set(session.id, auth.username ?? '');
      cb(null, { user: auth.username });
    },
    onMailFrom(_address, _session, cb) {
      const f = take('mail');
      cb(f && 'code' in f ? refusal(f.code, f.message) : undefined);
    },
    onRcptTo(_address, _session, cb) {
      const f = take('rcpt');
      cb(f && 'code' in f ? refusal(f.code, f.message) : undefined);
    },
    onData(stream, session, cb) {
      const f = take('data');
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => {
        chunks.push(c);
        if (f && 'drop' in f) socketOf(session.id)?.destroy();
      });
      stream.on('end', () => {
        if (f && 'drop' in f) return;
        if (f) return cb(refusal(f.code, f.message));
        const raw = Buffer.concat(chunks).toString('utf8');
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          headers: parseHeaders(raw),
          raw,
          secure: session.secure,
          user: users.get(session.id),
        });
        cb(null, `Ok: queued as FAKE${received.length}`);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = ((server as unknown as { server: Server }).server.address() as AddressInfo).port;

  const fake: SmtpFake = {
    port, ca: TEST_CA, user, pass, received, connections: 0,
    failNext(failure, times = 1) {
      for (let i = 0; i < times; i += 1) failures.push(failure);
    },
    close: () => new Promise<void>((resolve) => {
      // Without this, close waits up to 30 s for connections a pool keeps open.
      for (const c of open()) c._socket?.destroy();
      server.close(() => resolve());
    }),
  };
  return fake;
}

/** A TCP server that greets with garbage instead of `220`, as a misconfigured port would. */
export async function startGarbageSmtp(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.write('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
    socket.on('data', () => socket.write('?? what\r\n'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
