import type { InboundRuleConfig } from '../config/types.js';
import type { InboundRecord } from '../model.js';
import type { Channel } from '../plugin-api.js';
import { normalizeAddress } from './addresses.js';
import type { EngineContext } from './context.js';
import type { Engine, SendRequest } from './engine.js';
import type { InboundListener } from './inbound.js';

export interface InboundRulesDeps {
  ctx: EngineContext;
  engine: Engine;
  /** Queues a signed post of the inbound message (durable with the next commit). */
  forward(inboundId: string, url: string, body: string): void;
  /**
   * Queues the message's delivery to a bridge's contact center (absent until a bridge is wired);
   * durable with the commit that ends the listeners' run, which also drops the record's
   * inbound-effects job.
   */
  bridge?(record: InboundRecord, bridge: string): void;
}

interface CompiledRule {
  index: number;
  rule: InboundRuleConfig;
  to?: string;
  from?: string;
  keyword?: string;
  text?: RegExp;
}

const firstWord = (text: string | undefined): string => (text ?? '').trim().split(/\s+/, 1)[0].toUpperCase();

function compile(rules: readonly InboundRuleConfig[]): CompiledRule[] {
  return rules.map((rule, index) => ({
    index,
    rule,
    ...(rule.match.to !== undefined ? { to: normalizeAddress(rule.match.to) } : {}),
    ...(rule.match.from !== undefined ? { from: normalizeAddress(rule.match.from) } : {}),
    ...(rule.match.keyword !== undefined ? { keyword: rule.match.keyword.trim().toUpperCase() } : {}),
    // The config check compiled it already; case-insensitive like keywords.
    ...(rule.match.text !== undefined ? { text: new RegExp(rule.match.text, 'i') } : {}),
  }));
}

function matches(c: CompiledRule, record: InboundRecord): boolean {
  const { match } = c.rule;
  if (match.provider !== undefined && match.provider !== record.instance) return false;
  if (match.channel !== undefined && match.channel !== record.channel) return false;
  if (c.to !== undefined && c.to !== normalizeAddress(record.to)) return false;
  if (c.from !== undefined && c.from !== normalizeAddress(record.from)) return false;
  if (c.keyword !== undefined && c.keyword !== firstWord(record.text)) return false;
  if (c.text !== undefined && !c.text.test(record.text ?? '')) return false;
  return true;
}

/** The address of the user who wrote, on the channel a routed reply goes out on. */
function replyTo(record: InboundRecord): SendRequest['to'] {
  if (record.channel === 'whatsapp') return { whatsapp: record.from };
  if (record.channel === 'email') return { email: record.from };
  return { sms: record.from };
}

/**
 * The `inbound:` rules as an inbound listener: each stored inbound message is matched against
 * the rules in order; the first match's action runs (bridge, reply or forward), and matching goes
 * on only past rules that say `continue: true`. Rules come from the loaded config, so a reload
 * applies them to the next message.
 *
 * @example inboundListeners.push(createInboundRules({ ctx, engine, forward: outbox.forward }));
 */
export function createInboundRules(deps: InboundRulesDeps): InboundListener {
  const { ctx, engine } = deps;
  const compiled = new WeakMap<readonly InboundRuleConfig[], CompiledRule[]>();
  const rulesOf = (rules: readonly InboundRuleConfig[]) => {
    let c = compiled.get(rules);
    if (!c) compiled.set(rules, (c = compile(rules)));
    return c;
  };

  /**
   * A reply leaves from the number the user wrote to when a provider it may go through can send
   * from that number; otherwise from the provider's own sender (one number per instance).
   */
  function answerFrom(record: InboundRecord, candidates: ReadonlyArray<readonly [string, Channel]>): { from?: string } {
    const to = normalizeAddress(record.to);
    return candidates.some(([p, channel]) => ctx.runtime().maySendFrom(p, channel, to)) ? { from: to } : {};
  }

  async function act(c: CompiledRule, record: InboundRecord): Promise<void> {
    const { rule } = c;
    if (rule.forward) {
      deps.forward(record.id, rule.forward.url, JSON.stringify({ event: 'inbound', rule: c.index, inbound: record }));
      await ctx.store.commit();
    } else if (rule.reply?.route !== undefined) {
      const route = ctx.runtime().loaded.config.routes[rule.reply.route];
      const from = answerFrom(record, route.steps.flatMap((s) => s.providers.map((p) => [p, s.channel] as const)));
      await engine.accept({ route: rule.reply.route, to: replyTo(record), content: { text: rule.reply.text }, ...from });
    } else if (rule.reply) {
      const provider = rule.reply.provider ?? record.instance;
      const from = answerFrom(record, [[provider, record.channel]]);
      await engine.notify({ kind: 'auto-reply', channel: record.channel, provider, to: record.from, text: rule.reply.text, ...from });
    } else if (rule.bridge !== undefined) {
      if (!deps.bridge) throw new Error(`bridge ${rule.bridge} has no contact-center connection in this build`);
      deps.bridge(record, rule.bridge);
    }
  }

  return async (record) => {
    for (const c of rulesOf(ctx.runtime().loaded.config.inbound)) {
      if (!matches(c, record)) continue;
      ctx.metrics.inboundRules.inc({ rule: String(c.index) });
      try {
        await act(c, record);
      } catch (err) {
        ctx.logger.error({ err, inbound: record.id, rule: c.index }, 'an inbound rule failed');
      }
      if (!c.rule.continue) return;
    }
  };
}
