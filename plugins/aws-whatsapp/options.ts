import type { AwsConnectionOptions, SnsOptions } from '../../src/plugin-api.js';

/**
 * One End User Messaging Social (WhatsApp) instance's section of `gateway.yaml`, validated against
 * `schemas/plugins/aws-whatsapp.schema.json` (with the shared AWS options) and frozen.
 *
 * @example { region: 'us-east-1', originationPhoneNumberId: 'phone-number-id-0123…', from: '+15550001111', metaApiVersion: 'v20.0', templateLanguage: 'en_US', timeout: '10s' }
 */
export interface AwsWhatsAppOptions extends AwsConnectionOptions {
  originationPhoneNumberId: string;
  from?: string;
  metaApiVersion: string;
  templateLanguage: string;
  sns?: SnsOptions;
}
