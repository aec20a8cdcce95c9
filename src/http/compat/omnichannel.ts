import type { Middleware } from 'koa';
import type { Engine, SendRequest } from '../../engine/engine.js';
import type { OmnichannelConfig } from '../../config/types.js';
import { AppError } from '../../errors.js';
import type { MessageContent } from '../../model.js';
import type { ResolvedContent } from '../../plugin-api.js';
import type { Runtime } from '../../runtime/runtime.js';
import { requireScope } from '../auth.js';
import { acceptAndAnswer } from '../accept.js';
import { jsonBody } from '../body.js';
import { validateBody } from '../validate.js';

type OmniChannel = 'email' | 'sms' | 'whatsapp';

/** One `pc`/`fc` object of the omnichannel stack's body. */
interface ChannelSpec {
  channel: OmniChannel;
  sender?: string;
  recipient: string;
  email?: { subject?: string; text?: string; html?: string; template?: string; template_data?: Record<string, string>; configuration_set?: string };
  sms?: { message: string; message_type?: string; configuration_set?: string };
  whatsapp?: { message: string };
}

interface OmnichannelBody {
  use_case: 'fallback' | 'broadcast';
  fallback_seconds?: number | string;
  pc: ChannelSpec;
  fc?: ChannelSpec;
}

const bad = (path: string, message: string): AppError => new AppError('validation_failed', message, [{ path, message }]);

/** The channel's own sub-object, as the gateway's per-channel content. */
function contentOf(spec: ChannelSpec, path: string): ResolvedContent {
  const own = spec[spec.channel];
  if (!own) throw bad(`${path}/${spec.channel}`, `${path.slice(1)}: channel ${spec.channel} needs its "${spec.channel}" object with the content`);
  if (spec.channel === 'sms') {
    const sms = own as NonNullable<ChannelSpec['sms']>;
    return { text: sms.message, ...(sms.message_type ? { messageType: sms.message_type.toLowerCase() as 'transactional' | 'promotional' } : {}), ...(sms.configuration_set ? { configurationSet: sms.configuration_set } : {}) };
  }
  if (spec.channel === 'whatsapp') return { text: (own as NonNullable<ChannelSpec['whatsapp']>).message };
  const email = own as NonNullable<ChannelSpec['email']>;
  if (!email.template && !email.text && !email.html) throw bad(`${path}/email`, `${path.slice(1)}.email: needs text, html or template`);
  return {
    ...(email.subject !== undefined ? { subject: email.subject } : {}),
    ...(email.text !== undefined ? { text: email.text } : {}),
    ...(email.html !== undefined ? { html: email.html } : {}),
    ...(email.template ? { template: { name: email.template, ...(email.template_data ? { variables: email.template_data } : {}) } } : {}),
    ...(email.configuration_set ? { configurationSet: email.configuration_set } : {}),
  };
}

/**
 * The body as a `POST /v1/messages` request with an inline plan: `pc` (then `fc` after
 * `fallback_seconds`, or both at once for `broadcast`) over the instances `compat.omnichannel`
 * names per channel. The engine checks the plan like any inline route.
 */
export function toSendRequest(body: OmnichannelBody, config: OmnichannelConfig): SendRequest {
  const specs = body.fc ? [body.pc, body.fc] : [body.pc];
  const paths = ['/pc', '/fc'];
  const fallbackSeconds = body.fallback_seconds === undefined ? config.fallbackSeconds : Number(body.fallback_seconds);
  const to: Partial<Record<OmniChannel, string>> = {};
  const channels: Partial<Record<OmniChannel, ResolvedContent>> = {};
  const steps = specs.map((spec, i) => {
    const provider = config.providers[spec.channel];
    if (!provider) throw bad(`${paths[i]}/channel`, `${paths[i].slice(1)}: channel ${spec.channel} is not enabled (compat.omnichannel.providers.${spec.channel})`);
    if (to[spec.channel] !== undefined) throw bad(`${paths[i]}/channel`, 'pc and fc must be different channels');
    to[spec.channel] = spec.recipient;
    channels[spec.channel] = contentOf(spec, paths[i]);
    const waits = body.use_case === 'fallback' && i < specs.length - 1;
    return { channel: spec.channel, providers: [provider], until: config.until, within: waits ? `${fallbackSeconds}s` : config.within, ...(spec.sender ? { from: spec.sender } : {}) };
  });
  const content: MessageContent = { channels };
  return { route: { mode: body.use_case, steps }, to, content };
}

/**
 * `POST <compat.omnichannel.path>` (default `/v1/omnichannel`): the omnichannel fallback stack's
 * body — `{use_case, fallback_seconds, pc, fc}` — translated onto a message with an inline plan;
 * answered like `POST /v1/messages` (`202 {id, status}`, `Idempotency-Key`). No business rules here.
 *
 * @example
 *   // gateway.yaml: compat: { omnichannel: { providers: { email: ses, whatsapp: aws-wa } } }
 *   // curl -H 'x-api-key: …' -d '{"use_case":"fallback","fallback_seconds":30,"pc":{"channel":"whatsapp","recipient":"+1…","whatsapp":{"message":"hi"}},"fc":{…}}' …/v1/omnichannel
 */
export function omnichannelMiddleware(engine: Engine, runtime: () => Runtime): Middleware {
  const sender = requireScope(runtime, 'send');
  // Not a router route: the path is the config's, which a reload can add, remove or move, and a
  // pattern matching every path would make the routers answer other paths' 404s with 405.
  // Not async: every request passes through here, and most only go on.
  return (ctx, next) => {
    const config = runtime().loaded.config.compat.omnichannel;
    if (ctx.method !== 'POST' || !config || ctx.path !== config.path) return next();
    return sender(ctx, () => jsonBody(ctx, async () => {
      const body = validateBody<OmnichannelBody>('compat-omnichannel', ctx.request.body);
      // The translation is held to the same rules as POST /v1/messages (addresses, content sizes).
      await acceptAndAnswer(ctx, engine, validateBody<SendRequest>('send-message', toSendRequest(body, config)));
    }));
  };
}
