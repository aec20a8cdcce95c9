/**
 * A local fake of Infobip's SMS (`/sms/3/messages`) and WhatsApp (`/whatsapp/1/message/…`) send
 * APIs, with the `Authorization: App <key>` check, Infobip's answer and error shapes, scripted
 * failures, and helpers that build and post delivery reports, seen reports and inbound messages
 * the way Infobip does. Every send is recorded so tests assert what the plugin put on the wire.
 *
 * @example
 *   const ib = await startInfobipFake();
 *   // plugin options: { baseUrl: ib.url, apiKey: ib.apiKey, from: 'ACME', … }
 *   ib.failNext({ status: 503 });
 *   await postJson(ib.sent[0].notifyUrl!, reportsBody([report(ib.sent[0], 'DELIVERED')]));
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { failureQueue, json, startFakeServer, type Failure, type RecordedRequest } from './fake-server.js';

export interface InfobipSent {
  channel: 'sms' | 'whatsapp';
  /** `text`, `image`, `document`, `video`, `audio`, `template` (WhatsApp) or `sms`. */
  kind: string;
  messageId: string;
  from: string;
  to: string;
  notifyUrl?: string;
  callbackData?: string;
  /** The message object sent (an SMS entry of `messages`, a WhatsApp body or template `messages[0]`). */
  message: Record<string, unknown>;
}

export interface InfobipFake {
  url: string;
  apiKey: string;
  requests: RecordedRequest[];
  /** Accepted sends, in order. */
  sent: InfobipSent[];
  failNext(failure: Failure | number, times?: number): void;
  close(): Promise<void>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const DIGITS = /^[1-9][0-9]{5,14}$/;

/** The status objects of Infobip's status table that tests use. */
export const STATUSES = {
  PENDING: { groupId: 1, groupName: 'PENDING', id: 26, name: 'PENDING_ACCEPTED', description: 'Message sent to next instance' },
  DELIVERED: { groupId: 3, groupName: 'DELIVERED', id: 5, name: 'DELIVERED_TO_HANDSET', description: 'Message delivered to handset' },
  DELIVERED_TO_OPERATOR: { groupId: 3, groupName: 'DELIVERED', id: 2, name: 'DELIVERED_TO_OPERATOR', description: 'Message delivered to operator' },
  UNDELIVERABLE_NOT_DELIVERED: { groupId: 2, groupName: 'UNDELIVERABLE', id: 9, name: 'UNDELIVERABLE_NOT_DELIVERED', description: 'Message sent not delivered' },
  UNDELIVERABLE_REJECTED_OPERATOR: { groupId: 2, groupName: 'UNDELIVERABLE', id: 4, name: 'UNDELIVERABLE_REJECTED_OPERATOR', description: 'Message rejected by operator' },
  EXPIRED: { groupId: 4, groupName: 'EXPIRED', id: 15, name: 'EXPIRED_EXPIRED', description: 'Message expired' },
  REJECTED: { groupId: 5, groupName: 'REJECTED', id: 6, name: 'REJECTED_NETWORK', description: 'Network is forbidden' },
} as const;

export type StatusName = keyof typeof STATUSES;

const NO_ERROR = { groupId: 0, groupName: 'OK', id: 0, name: 'NO_ERROR', description: 'No Error', permanent: false };
const ABSENT = { groupId: 1, groupName: 'HANDSET_ERRORS', id: 27, name: 'EC_ABSENT_SUBSCRIBER', description: 'Absent Subscriber', permanent: false };

const serviceException = (messageId: string, text: string) => ({ requestError: { serviceException: { messageId, text } } });

function errorBody(status: number): unknown {
  if (status === 401) return serviceException('UNAUTHORIZED', 'Invalid login details');
  if (status === 429) return serviceException('TOO_MANY_REQUESTS', 'Too many requests');
  if (status >= 500) return serviceException('GENERAL_ERROR', 'Something went wrong. Please contact support.');
  return serviceException('BAD_REQUEST', 'Bad request');
}

export async function startInfobipFake(options: { apiKey?: string } = {}): Promise<InfobipFake> {
  const apiKey = options.apiKey ?? 'infobip-fake-api-key-0123';
  const failures = failureQueue();
  const fake: InfobipFake = { url: '', apiKey, requests: [], sent: [], failNext: failures.push, close: async () => undefined };

  const bad = (res: ServerResponse, text: string) => json(res, 400, serviceException('BAD_REQUEST', text));

  function accept(res: ServerResponse, channel: 'sms' | 'whatsapp', kind: string, message: Record<string, unknown>, to: string, from: string, notifyUrl: unknown, callbackData: unknown, messageId: unknown): InfobipSent {
    const sent: InfobipSent = {
      channel, kind, from, to, message,
      messageId: typeof messageId === 'string' && messageId !== '' ? messageId : randomUUID(),
      ...(typeof notifyUrl === 'string' ? { notifyUrl } : {}),
      ...(typeof callbackData === 'string' ? { callbackData } : {}),
    };
    fake.sent.push(sent);
    return sent;
  }

  /** Why an SMS message object would be refused, naming it by its place in `messages`. */
  function smsFault(m: unknown, i: number): string | undefined {
    const dest = isObject(m) && Array.isArray(m.destinations) && isObject(m.destinations[0]) ? m.destinations[0] : undefined;
    if (!isObject(m) || !dest || typeof dest.to !== 'string' || !DIGITS.test(dest.to)) return `messages[${i}].destinations[0].to: must be an international number without +`;
    if (typeof m.sender !== 'string' || m.sender === '') return `messages[${i}].sender: must not be blank`;
    if (!isObject(m.content) || typeof m.content.text !== 'string' || m.content.text === '') return `messages[${i}].content.text: must not be blank`;
    return undefined;
  }

  // Several messages in one request, as Infobip takes them: one invalid message refuses the request.
  function sms(res: ServerResponse, body: unknown): void {
    const messages = isObject(body) && Array.isArray(body.messages) && body.messages.length > 0 ? (body.messages as unknown[]) : [undefined];
    const fault = messages.map(smsFault).find((f) => f !== undefined);
    if (fault !== undefined) return bad(res, fault);
    // Every entry passed smsFault: an object with a sender and a first destination.
    const answers = messages.filter(isObject).map((m) => {
      const dest = (m.destinations as Record<string, unknown>[])[0];
      const hooks = isObject(m.webhooks) ? m.webhooks : {};
      const delivery = isObject(hooks.delivery) ? hooks.delivery : {};
      const sent = accept(res, 'sms', 'sms', m, String(dest.to), String(m.sender), delivery.url, hooks.callbackData, dest.messageId);
      return { messageId: sent.messageId, status: STATUSES.PENDING, destination: dest.to };
    });
    json(res, 200, { bulkId: randomUUID(), messages: answers });
  }

  function whatsapp(res: ServerResponse, kind: string, body: unknown): void {
    const template = kind === 'template';
    const m = template ? (isObject(body) && Array.isArray(body.messages) && isObject(body.messages[0]) ? body.messages[0] : undefined) : isObject(body) ? body : undefined;
    if (!m || typeof m.from !== 'string' || !DIGITS.test(m.from) || typeof m.to !== 'string' || !DIGITS.test(m.to)) return bad(res, 'from and to: must be international numbers without +');
    const content = isObject(m.content) ? m.content : {};
    const missing = template ? (typeof content.templateName !== 'string' || typeof content.language !== 'string' || !isObject(content.templateData))
      : kind === 'text' ? typeof content.text !== 'string' : typeof content.mediaUrl !== 'string';
    if (missing) return bad(res, `content: not a valid ${kind} message`);
    const sent = accept(res, 'whatsapp', kind, m, m.to, m.from, m.notifyUrl, m.callbackData, m.messageId);
    const answer = { to: m.to, messageCount: 1, messageId: sent.messageId, status: { groupId: 1, groupName: 'PENDING', id: 7, name: 'PENDING_ENROUTE', description: 'Message sent to next instance' } };
    json(res, 200, template ? { messages: [answer], bulkId: randomUUID() } : answer);
  }

  const server = await startFakeServer(async (req, res, recorded) => {
    fake.requests.push(recorded);
    if (req.headers.authorization !== `App ${apiKey}`) return json(res, 401, errorBody(401));
    if (await failures.apply(res, errorBody)) return;
    const path = recorded.url.split('?')[0];
    if (req.method === 'POST' && path === '/sms/3/messages') return sms(res, recorded.body);
    const wa = /^\/whatsapp\/1\/message\/(text|image|document|video|audio|template)$/.exec(path);
    if (req.method === 'POST' && wa) return whatsapp(res, wa[1], recorded.body);
    json(res, 404, serviceException('NOT_FOUND', `no route for ${req.method} ${path}`));
  });
  fake.url = server.url;
  fake.close = server.close;
  return fake;
}

// ---- Callbacks (Infobip → gateway) ----

/** A delivery report for a sent message, as Infobip posts it to `notifyUrl`. */
export function report(sent: Pick<InfobipSent, 'messageId' | 'to' | 'callbackData'>, status: StatusName): Record<string, unknown> {
  const failed = status.startsWith('UNDELIVERABLE') || status === 'EXPIRED' || status === 'REJECTED';
  const now = new Date().toISOString().replace('Z', '+0000');
  return {
    bulkId: randomUUID(), messageId: sent.messageId, to: sent.to, sentAt: now, doneAt: now, smsCount: 1,
    price: { pricePerMessage: 0.01, currency: 'EUR' },
    status: STATUSES[status], error: failed && status !== 'EXPIRED' ? ABSENT : NO_ERROR,
    ...(sent.callbackData ? { callbackData: sent.callbackData } : {}),
  };
}

/** A WhatsApp seen report. */
export const seenReport = (sent: Pick<InfobipSent, 'messageId' | 'to' | 'from'>) => ({ messageId: sent.messageId, to: sent.to, from: sent.from, sentAt: new Date().toISOString(), seenAt: new Date().toISOString() });

/** An inbound SMS as Infobip forwards it. */
export const inboundSms = (from: string, to: string, text: string, messageId: string = randomUUID()) => ({
  messageId, from, to, text, cleanText: text, keyword: text.split(/\s+/)[0]?.toUpperCase(), receivedAt: new Date().toISOString(), smsCount: 1,
  price: { pricePerMessage: 0, currency: 'EUR' }, callbackData: null,
});

/** An inbound WhatsApp message (`message` is the typed content: `{type: 'TEXT', text}`…). */
export const inboundWhatsApp = (from: string, to: string, message: Record<string, unknown>, messageId: string = randomUUID()) => ({
  from, to, integrationType: 'WHATSAPP', receivedAt: new Date().toISOString(), messageId, pairedMessageId: null, callbackData: null,
  message, contact: { name: 'Ann' }, price: { pricePerMessage: 0, currency: 'EUR' },
});

export const resultsBody = (results: unknown[]) => ({ results, messageCount: results.length, pendingMessageCount: 0 });
