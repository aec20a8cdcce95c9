/** The validated, frozen options of one Infobip instance (see schemas/plugins/infobip.schema.json). */
export interface InfobipOptions {
  /** The account's own API base, `https://<subdomain>.api.infobip.com` (or a local fake). */
  baseUrl: string;
  /** Sent as `Authorization: App <apiKey>`. */
  apiKey: string;
  /** SMS sender: a number or an alphanumeric sender id. */
  from?: string;
  /** The WhatsApp Business number, digits or E.164. */
  whatsappFrom?: string;
  channels: ('sms' | 'whatsapp')[];
  /** Reports and inbound messages must carry it (`?secret=` or Basic auth); without it they are refused. */
  webhookSecret?: string;
  /** The Basic-auth user name that goes with `webhookSecret` (default `infobip`). */
  webhookUsername: string;
  /** `validityPeriod` of SMS, a duration (Infobip takes minutes, at most 48 h). */
  validity?: string;
  /** Per-request timeout, a duration; default `10s`. */
  timeout: string;
  /** Most SMS one request carries, of those sent in the same turn; 1 sends each alone. */
  batch: number;
}
