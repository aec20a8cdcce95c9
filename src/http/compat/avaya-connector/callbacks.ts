import type { Context } from 'koa';
import type { WebhookReply, WebhookRequest } from '../../../plugin-api.js';

/** What the sample's mock-mode curl (`Body=…&To=…&From=…`) sends, as Twilio names it. */
export const SAMPLE_FIELDS = 'the form fields From, To and Body (as Twilio sends them)';

const field = (body: unknown, name: string): string | undefined => {
  const v = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  return typeof v === 'string' && v !== '' ? v : undefined;
};

/**
 * `curl -d 'From=+1555…'` sends the `+` unencoded, and a form decodes it as a space: a number that
 * arrives as ` 1555…` gets its `+` back (as Twilio's own, encoded, posts never need).
 */
const plusOf = (v: string | undefined): string | undefined => (v !== undefined && /^ [1-9][0-9]{6,14}$/.test(v) ? `+${v.slice(1)}` : v);

/**
 * Mock mode: the sample's own unsigned curl, read as the mock instance's inbound body
 * (`{from, to, text, id}`). `MessageSid`, when given, is the message's id, so a repeated post is
 * stored once. Missing fields stay missing, so the mock refuses the call and the webhook metric
 * counts it. Headers pass through unchanged: a mock with a `webhookToken` still wants it.
 */
export function sampleCurlAsMockInbound(req: WebhookRequest): WebhookRequest {
  const mapped = { from: plusOf(field(req.body, 'From')), to: plusOf(field(req.body, 'To')), text: field(req.body, 'Body'), id: field(req.body, 'MessageSid') };
  const body = Object.fromEntries(Object.entries(mapped).filter(([, v]) => v !== undefined));
  // Named one by one: a received callback's URL and query are getters, which a spread leaves out.
  return { method: req.method, url: req.url, headers: req.headers, query: req.query, rawBody: JSON.stringify(body), body };
}

/** The pipeline's answer; an empty one is the sample's `200 OK`. */
export function answer(ctx: Context, reply: WebhookReply): void {
  ctx.status = reply.status ?? 200;
  if (reply.body !== undefined && reply.body !== '') {
    if (reply.contentType) ctx.type = reply.contentType;
    ctx.body = reply.body;
  } else {
    ctx.type = 'text/plain';
    ctx.body = 'OK';
  }
}
