import type { InboundRecord, SuppressionEntry } from '../../model.js';
import type { Channel } from '../../plugin-api.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { EngineContext } from '../context.js';
import type { Engine } from '../engine.js';
import { normalizeAddress } from '../addresses.js';
import { classifyKeyword, normalizeKeyword } from './keywords.js';
import { suppressionChannel, suppressionKey } from './keys.js';
import type { SuppressionEntries } from './entries.js';

/** The routes of the texts suppression sends itself; its guard lets them through (a HELP answer reaches an opted-out user). */
export const NOTICE_KINDS = { help: 'help', optOut: 'opt-out', optIn: 'opt-in' } as const;

// Email replies quote the whole thread and a signature: a whole-message keyword means nothing there.
const KEYWORD_CHANNELS: ReadonlySet<Channel> = new Set(['sms', 'mms', 'whatsapp']);

const looksLikeAddress = (s: string): boolean => /^\+?[0-9]+$/.test(s) || s.includes('@');

// A phone number (E.164 or a short code), or a WhatsApp business-scoped user id (`us.1349…` once normalized).
const USER = /^(\+?[0-9]{3,15}|[a-z]{2}\.[a-z0-9]{1,128})$/;

/** One time format for every entry (providers stamp inbound messages their own way), so entries sort by it. */
function isoTime(given: string, now: number): string {
  const ms = Date.parse(given);
  return new Date(Number.isNaN(ms) ? now : ms).toISOString();
}

/**
 * The business sender the user wrote to, as outbound steps name it: the number written to when
 * the instance sends from a number, else the instance's own sender (a Messaging Service pool: a
 * STOP to any of its numbers stops the pool, as Twilio does; `instance:<name>` for one naming none).
 */
function senderWrittenTo(runtime: Runtime, record: InboundRecord): string {
  const own = runtime.senderOf(record.instance, record.channel);
  return looksLikeAddress(own) ? normalizeAddress(record.to) : own;
}

/** The channel a reply goes out on: a text-only answer to an MMS is an SMS when the instance sends SMS. */
function replyChannel(runtime: Runtime, record: InboundRecord): Channel | undefined {
  const spec = runtime.loaded.config.providers[record.instance];
  const plugin = runtime.loaded.plugins.get(record.instance);
  if (!spec || !plugin) return undefined;
  const channels = plugin.channels(spec as never);
  if (record.channel === 'mms' && channels.includes('sms')) return 'sms';
  return channels.includes(record.channel) ? record.channel : undefined;
}

/**
 * STOP / START / HELP from users. Never throws: the inbound message is already stored, and a
 * failure here would make the provider retry a copy that de-duplication then drops — so every
 * failure is logged, and a failed commit leaves the change queued for the store's next commit.
 */
export function createKeywordListener(deps: { ctx: EngineContext; engine: Engine; entries: SuppressionEntries }) {
  const { ctx, engine, entries } = deps;

  async function reply(record: InboundRecord, kind: keyof typeof NOTICE_KINDS, text: string): Promise<void> {
    const runtime = ctx.runtime();
    const channel = replyChannel(runtime, record);
    if (!channel) {
      ctx.logger.warn({ provider: record.instance, inbound: record.id }, `suppression: ${record.instance} cannot send on ${record.channel}; no ${kind} reply`);
      return;
    }
    await engine.notify({ kind: NOTICE_KINDS[kind], channel, provider: record.instance, to: record.from, text });
  }

  async function handle(record: InboundRecord): Promise<void> {
    // A sender that is no user address (a malformed webhook) is stored as inbound and left alone here.
    if (!KEYWORD_CHANNELS.has(record.channel) || !USER.test(normalizeAddress(record.from))) return;
    const runtime = ctx.runtime();
    const config = runtime.loaded.config.suppression;
    const kind = classifyKeyword(record.text, config.keywords, record.details?.optOutType);
    if (!kind) return;
    const log = { provider: record.instance, channel: record.channel, inbound: record.id, keyword: kind };
    if (kind === 'help') {
      if (config.replies.help) await reply(record, 'help', config.replies.help.text);
      return;
    }
    const sender = senderWrittenTo(runtime, record);
    const key = suppressionKey(record.channel, sender, record.from);
    const confirms = !config.providerConfirms.includes(record.instance);
    if (kind === 'optOut') {
      const entry: SuppressionEntry = {
        channel: suppressionChannel(record.channel),
        sender,
        address: normalizeAddress(record.from),
        source: 'keyword',
        detail: normalizeKeyword(record.text ?? '').slice(0, 50) || 'STOP',
        at: isoTime(record.receivedAt, ctx.clock.now()),
      };
      // A second STOP changes nothing and is not confirmed again: the FCC allows one confirmation.
      const created = await entries.changeOne(key, (existing) => (existing ? { result: false } : { result: true, next: entry }), 'keep');
      ctx.logger.info(log, created ? 'suppression: user opted out' : 'suppression: opt-out repeated');
      if (created && confirms && config.replies.optOut) await reply(record, 'optOut', config.replies.optOut.text);
      return;
    }
    // An operator's entry (source api) outlives the user's START; keyword and provider entries end with it.
    const removed = await entries.changeOne(key, (existing) => (existing && existing.source !== 'api' ? { result: true, next: null } : { result: false }), 'keep');
    ctx.logger.info(log, removed ? 'suppression: user opted back in' : 'suppression: opt-in with nothing to lift');
    // Only a real opt-in is confirmed: "YES" is also how people answer everyday questions.
    if (removed && confirms && config.replies.optIn) await reply(record, 'optIn', config.replies.optIn.text);
  }

  return async (record: InboundRecord): Promise<void> => {
    try {
      await handle(record);
    } catch (err) {
      ctx.logger.error({ err, provider: record.instance, inbound: record.id }, 'suppression: handling an inbound keyword failed; a change not committed stays queued for the next commit');
    }
  };
}
