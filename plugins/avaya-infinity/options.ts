import type { Channel } from '../../src/plugin-api.js';

/** The validated, frozen options of one Avaya Infinity instance (see schemas/plugins/avaya-infinity.schema.json). */
export interface AvayaOptions {
  /** Tenant origin, `https://core.<tenant>.ec.avayacloud.com`. */
  baseUrl: string;
  accountId: string;
  connectorId: string;
  clientId: string;
  clientSecret: string;
  /** Verifies `x-avaya-event-signature`; without it the events webhook refuses everything. */
  webhookSecret?: string;
  /** Default `/api/digital/messaging/v1/accounts/{accountId}/messages`. */
  sendPath: string;
  /** Default `/auth/realms/avaya/protocol/openid-connect/token`. */
  tokenPath: string;
  /** `headers.destination` per customer channel; default the business number the customer wrote to. */
  destinations?: Partial<Record<Channel, string>>;
  /** A duration bounding one delivery; default `10s`. */
  timeout: string;
}

/** `baseUrl` + `path`, with `{accountId}` filled in. */
export function endpoint(options: Pick<AvayaOptions, 'baseUrl' | 'accountId'>, path: string): string {
  return `${options.baseUrl.replace(/\/+$/, '')}${path.replaceAll('{accountId}', encodeURIComponent(options.accountId))}`;
}
