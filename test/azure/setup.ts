/**
 * `examples/azure-messaging-connect.yaml` as a new user would try it, pointed at the local ACS,
 * Event Grid and Infobip fakes: the example's own text, with only the port, the log level and
 * `allowInsecure` (plain http to the fakes) changed.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import type { Message } from '../../src/model.js';
import { startAcsFake, type AcsFake } from '../fakes/acs-fake.js';
import { eventGridPublisher, type Publisher } from '../fakes/event-grid.js';
import { postJson } from '../fakes/fake-server.js';
import { startInfobipFake, type InfobipFake } from '../fakes/infobip-fake.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

export const EXAMPLE = join(process.cwd(), 'examples', 'azure-messaging-connect.yaml');
export const API_KEY = 'azure-example-api-key-0123';
export const EVENT_GRID_SECRET = 'event-grid-secret-0123456789abcdef';
export const INFOBIP_SECRET = 'infobip-webhook-secret-0123456789';
export const WA_CHANNEL = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
export const SMS_CHANNEL = '1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d';
export const PUBLIC = 'https://gw.example.test';
export const CUSTOMER = '+15554440001';

/** The example's environment variables; the fakes' URLs and keys where given. */
export function exampleEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ACS_ENDPOINT: 'https://contoso.communication.azure.com',
    ACS_ACCESS_KEY: Buffer.alloc(32, 1).toString('base64'),
    ACS_WHATSAPP_CHANNEL_ID: WA_CHANNEL,
    ACS_SMS_CHANNEL_ID: SMS_CHANNEL,
    EVENT_GRID_SECRET,
    INFOBIP_BASE_URL: 'https://xyz.api.infobip.com',
    INFOBIP_API_KEY: 'infobip-api-key',
    INFOBIP_SENDER: 'ACME',
    INFOBIP_WEBHOOK_SECRET: INFOBIP_SECRET,
    SWITCHBOARD_API_KEY: API_KEY,
    PUBLIC_URL: PUBLIC,
    ...overrides,
  };
}

export function exampleConfig(sections: Record<string, unknown> = {}): string {
  const doc = parseDocument(readFileSync(EXAMPLE, 'utf8'));
  doc.setIn(['server', 'host'], '127.0.0.1');
  doc.setIn(['server', 'port'], 0);
  doc.setIn(['log'], { level: 'debug' });
  doc.setIn(['providers', 'acs', 'allowInsecure'], true);
  // `routes.notify.steps.0.consent`: dotted paths, numbers as sequence indexes.
  for (const [k, v] of Object.entries(sections)) doc.setIn(k.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)), v);
  return doc.toString();
}

export interface AzureHarness {
  gw: TestGateway;
  acs: AcsFake;
  infobip: InfobipFake;
  /** The gateway's real listening origin, `http://127.0.0.1:PORT`. */
  origin: string;
  /** An Event Grid subscription to the acs events webhook (secret in the URL), handshake not yet done. */
  grid(schema: 'eventgrid' | 'cloudevents'): Publisher;
  /** POSTs Infobip `{results}` to a URL the gateway gave Infobip (a notifyUrl), at the local server. */
  infobipPost(url: string, body: unknown): Promise<{ status: number; text: string }>;
  message(id: string): Promise<Message>;
  close(): Promise<void>;
}

export async function startAzureHarness(sections: Record<string, unknown> = {}): Promise<AzureHarness> {
  const acs = await startAcsFake({ channels: [WA_CHANNEL, SMS_CHANNEL] });
  const infobip = await startInfobipFake();
  const env = exampleEnv({ ACS_ENDPOINT: acs.url, ACS_ACCESS_KEY: acs.accessKey, INFOBIP_BASE_URL: infobip.url, INFOBIP_API_KEY: infobip.apiKey });
  const gw = await startGateway(exampleConfig(sections), { env });
  const server: Server = gw.app.http.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const local = (url: string) => `${origin}${new URL(url).pathname}${new URL(url).search}`;
  return {
    gw, acs, infobip, origin,
    grid: (schema) => eventGridPublisher(`${origin}/webhooks/acs/events?code=${EVENT_GRID_SECRET}`, schema),
    infobipPost: (url, body) => postJson(local(url), body),
    async message(id) {
      return (await gw.request.get(`/v1/messages/${id}`).set('x-api-key', API_KEY).expect(200)).body as Message;
    },
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await gw.close();
      await acs.close();
      await infobip.close();
    },
  };
}
