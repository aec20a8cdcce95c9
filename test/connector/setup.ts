import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import type { AvayaFake } from '../fakes/avaya-fake.js';
import { API_KEY, READ_KEY } from '../helpers/gateway.js';

export const EXAMPLE = join(process.cwd(), 'examples', 'avaya-twilio.yaml');

export const ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
export const AUTH_TOKEN = 'twilio-test-auth-token';
export const WEBHOOK_SECRET = 'avaya-webhook-secret-0123';
export const BUSINESS = '+15557654321';
export const CUSTOMER = '+15551230000';
export const PUBLIC = 'https://gw.example.test';

/** The sample connector's environment variables (and the example's own two), for a fake Avaya. */
export function sampleEnv(avaya: AvayaFake, extra: Record<string, string> = {}): Record<string, string> {
  return {
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_PHONE_NUMBER: BUSINESS,
    AVAYA_INFINITY_HOST: avaya.url,
    AVAYA_INFINITY_ACCOUNT_ID: avaya.accountId,
    AVAYA_INFINITY_CONNECTOR_ID: avaya.connectorId,
    AVAYA_INFINITY_CLIENT_ID: avaya.clientId,
    AVAYA_INFINITY_CLIENT_SECRET: avaya.clientSecret,
    AVAYA_INFINITY_WEBHOOK_SECRET: WEBHOOK_SECRET,
    SWITCHBOARD_ADMIN_KEY: API_KEY,
    PUBLIC_URL: PUBLIC,
    ...extra,
  };
}

export interface ExampleEdits {
  /** The example's own mock-mode line instead of the twilio instance. */
  mock?: boolean;
  /** Options for the twilio instance on top of the example's (e.g. `baseUrl` of a fake). */
  twilio?: Record<string, unknown>;
  /** Options for the avaya instance on top of the example's (e.g. a short `timeout`). */
  avaya?: Record<string, unknown>;
  allowUpdates?: boolean;
  /** Anything else, as top-level sections set over the example's (`retry`, `callbacks`, `log`). */
  sections?: Record<string, unknown>;
}

/**
 * `examples/avaya-twilio.yaml` as a test runs it: on 127.0.0.1 and a free port, with a read-only
 * key besides the admin one, and the edits asked for. Everything else — the providers' `${env:…}`,
 * the bridge, the inbound rule, compat — is the example's own text.
 */
export function exampleConfig(edits: ExampleEdits = {}): string {
  const doc = parseDocument(readFileSync(EXAMPLE, 'utf8'));
  doc.setIn(['server', 'host'], '127.0.0.1');
  doc.setIn(['server', 'port'], 0);
  doc.setIn(['log'], { level: 'debug' });
  doc.addIn(['api', 'keys'], { name: 'reader', key: READ_KEY, scopes: ['read'] });
  if (edits.mock) doc.setIn(['providers', 'twilio-us'], { plugin: 'mock', channels: ['sms'], from: '${env:TWILIO_PHONE_NUMBER}' });
  for (const [k, v] of Object.entries(edits.twilio ?? {})) doc.setIn(['providers', 'twilio-us', k], v);
  for (const [k, v] of Object.entries(edits.avaya ?? {})) doc.setIn(['providers', 'avaya', k], v);
  if (edits.allowUpdates !== undefined) doc.setIn(['compat', 'avayaConnector', 'allowUpdates'], edits.allowUpdates);
  for (const [k, v] of Object.entries(edits.sections ?? {})) doc.setIn([k], v);
  return doc.toString();
}
