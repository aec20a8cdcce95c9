/** The validated, frozen options of one Bandwidth instance (see schemas/plugins/bandwidth.schema.json). */
export interface BandwidthOptions {
  accountId: string;
  applicationId: string;
  /** OAuth 2.0 client credentials (preferred; the only kind Bandwidth accepts after 2026-12-02). */
  clientId?: string;
  clientSecret?: string;
  /** Legacy API user (HTTP Basic). */
  username?: string;
  password?: string;
  /** The Bandwidth number to send from (E.164). */
  from: string;
  /** Messaging API base up to `/api/v2`; default `https://messaging.bandwidth.com/api/v2`. */
  baseUrl: string;
  /** Default `https://api.bandwidth.com/api/v1/oauth2/token`. */
  tokenUrl: string;
  /** HTTP Basic credentials Bandwidth's callbacks must carry. */
  callbackUsername?: string;
  callbackPassword?: string;
  channels: ('sms' | 'mms')[];
  priority?: 'default' | 'high';
  /** A duration (`24h`): Bandwidth drops the message if it is not sent by then. */
  expiration?: string;
  /** Per-request timeout, a duration; default `10s`. */
  timeout: string;
}
