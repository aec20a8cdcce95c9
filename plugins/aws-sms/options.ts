import type { AwsConnectionOptions, SnsOptions } from '../../src/plugin-api.js';

/**
 * One End User Messaging SMS instance's section of `gateway.yaml`, validated against
 * `schemas/plugins/aws-sms.schema.json` (with the shared AWS options) and frozen.
 *
 * @example { region: 'us-east-1', originationIdentity: '+15550002222', messageType: 'TRANSACTIONAL', configurationSet: 'sms-events', timeout: '10s' }
 */
export interface AwsSmsOptions extends AwsConnectionOptions {
  originationIdentity: string;
  messageType: 'TRANSACTIONAL' | 'PROMOTIONAL';
  configurationSet?: string;
  maxPrice?: string;
  ttl?: string;
  keyword?: string;
  sns?: SnsOptions;
}
