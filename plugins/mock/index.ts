import {
  ProviderError,
  createIdFactory,
  parseDuration,
  readSchema,
  matchesSecret,
  type AttemptStatus,
  type Channel,
  type PluginDefinition,
  type PluginDeps,
  type Provider,
  type ProviderErrorReason,
  type WebhookRequest,
  type WebhookResult,
} from '../../src/plugin-api.js';
import { parseInboundBody, parseStatusBody } from './parse.js';

const ulid = createIdFactory();

type Outcome = 'delivered' | 'read' | 'failed' | 'none';
type SendError = 'none' | ProviderErrorReason;

export interface MockOptions {
  channels: Channel[];
  from?: string;
  outcome: Outcome;
  after: string;
  sendError: SendError;
  retryAfter?: string;
  webhookToken?: string;
  recipients: { match: string; outcome?: Outcome; after?: string; sendError?: SendError }[];
}

const RECEIPTS: Record<Outcome, AttemptStatus[]> = {
  delivered: ['sent', 'delivered'],
  read: ['sent', 'delivered', 'read'],
  failed: ['failed'],
  none: [],
};

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

/**
 * A provider whose behaviour is scripted by its options: what outcome, after how long, per
 * recipient. Receipts are delivered through `deps.loopback`, the same path as a real webhook.
 *
 * @example createMockProvider({ channels: ['sms'], outcome: 'delivered', after: '1s', sendError: 'none', recipients: [] }, deps)
 */
export function createMockProvider(options: MockOptions, deps: PluginDeps): Provider {
  const rules = options.recipients.map((r) => ({ ...r, re: globToRegExp(r.match) }));
  const tokenHeaders = options.webhookToken ? { 'x-mock-token': options.webhookToken } : {};

  function authorized(req: WebhookRequest): boolean {
    if (!options.webhookToken) return true;
    const given = req.headers['x-mock-token'];
    return typeof given === 'string' && matchesSecret(given, options.webhookToken);
  }

  function deliverReceipts(providerMessageId: string, statuses: AttemptStatus[], afterMs: number): void {
    if (statuses.length === 0) return;
    deps.clock.setTimeout(() => {
      void (async () => {
        for (const status of statuses) {
          const body = { messageId: providerMessageId, status, ...(status === 'failed' ? { errorCode: 'MOCK_FAILED' } : {}) };
          await deps.loopback('status', { headers: { 'content-type': 'application/json', ...tokenHeaders }, rawBody: JSON.stringify(body), body });
        }
      })().catch((err: unknown) => deps.logger.warn({ err }, 'mock receipt was not ingested'));
    }, afterMs);
  }

  return {
    async send(message) {
      const rule = rules.find((r) => r.re.test(message.to));
      const sendError = rule?.sendError ?? options.sendError;
      if (sendError !== 'none') {
        const retryAfterMs = options.retryAfter === undefined ? undefined : parseDuration(options.retryAfter);
        throw new ProviderError(`mock ${deps.instance} scripted a ${sendError} error`, { reason: sendError, providerCode: `MOCK_${sendError.toUpperCase()}`, retryAfterMs });
      }
      const providerMessageId = `mock-${ulid()}`;
      const afterMs = parseDuration(rule?.after ?? options.after) ?? 0;
      deliverReceipts(providerMessageId, RECEIPTS[rule?.outcome ?? options.outcome], afterMs);
      const from = message.from ?? options.from;
      return { providerMessageId, status: 'queued', ...(from ? { details: { from } } : {}) };
    },
    webhooks: {
      status(req): WebhookResult {
        if (!authorized(req)) return { ok: false, status: 401, reason: 'missing or wrong x-mock-token', auth: 'credentials' };
        return parseStatusBody(req.body);
      },
      inbound(req): WebhookResult {
        if (!authorized(req)) return { ok: false, status: 401, reason: 'missing or wrong x-mock-token', auth: 'credentials' };
        return parseInboundBody(req.body, options.channels[0]);
      },
    },
  };
}

export const mockPlugin: PluginDefinition<MockOptions> = {
  name: 'mock',
  optionsSchema: readSchema('plugins/mock.schema.json'),
  channels: (options) => options.channels,
  create: createMockProvider,
};
