import { UI_CSP } from '../../ui/routes.js';
import { operation } from '../operation.js';
import type { JsonSchema } from '../schemas.js';
import { CONFIG_HASH } from './examples.js';

const NO_DATA = 'Holds no data, so it needs no key: the page asks for an API key (scope read; admin also shows and replays dead letters), keeps it in the tab\'s sessionStorage and sends it as `Authorization: Bearer …` with every API call it makes.';

/** The headers every status page file is served with; the policy is the one the routes set. */
const PAGE_HEADERS: Record<string, JsonSchema> = {
  'Content-Security-Policy': {
    description: 'Self only, no inline code, no framing, and Trusted Types (any innerHTML assignment throws).',
    schema: { type: 'string' }, example: UI_CSP,
  },
  'Cache-Control': { description: 'Never cached.', schema: { const: 'no-store' } },
};

const asset = (id: string, what: string, type: string): JsonSchema => operation({
  id, tag: 'status-page', summary: what, auth: 'none',
  description: NO_DATA,
  answers: { 200: { description: `${what}, as it is in src/http/ui/assets/.`, content: { [type]: { schema: { type: 'string' } } }, headers: PAGE_HEADERS } },
});

/** (2 send errors + 4 failed receipts) / 120 sends = 0.05; an unused instance has no rate yet. */
const STATUS_EXAMPLE = {
  version: '0.1.0',
  configHash: CONFIG_HASH,
  reload: { successful: true, lastSuccessAt: '2026-11-29T09:58:12.000Z', restartRequired: false },
  heldMessages: 1,
  deadLetters: 0,
  providers: [
    { name: 'twilio-us', plugin: 'twilio', channels: ['sms', 'mms', 'whatsapp'], sends: 120, errors: { client: 2 }, failedReceipts: 4, errorRate: 0.05 },
    { name: 'ses', plugin: 'ses', channels: ['email'], sends: 0, errors: {}, failedReceipts: 0, errorRate: null },
  ],
};

/** The status page: its three files (public) and the figures it shows beside the REST API. */
export function uiPaths(): Record<string, Record<string, JsonSchema>> {
  return {
    '/ui': { get: asset('getStatusPage', 'The status page', 'text/html') },
    '/ui/app.js': { get: asset('getStatusPageScript', 'The status page\'s script', 'text/javascript') },
    '/ui/app.css': { get: asset('getStatusPageStyles', 'The status page\'s styles', 'text/css') },
    '/-/status': {
      get: operation({
        id: 'getStatus', tag: 'status-page', summary: 'What the status page shows beside the REST API', auth: { scope: 'read' },
        description: 'The serving configuration\'s hash, the last reload\'s result, held and dead-letter totals, and each provider instance\'s sends, errors by reason, failed receipts and error rate, counted since the daemon started. Read from its metrics, so cheap to poll; counts only, no addresses.',
        answers: { 200: { description: 'The figures.', schema: 'GatewayStatus', examples: { running: { summary: 'One provider with some failures, one not used yet', value: STATUS_EXAMPLE } } } },
      }),
    },
  };
}
