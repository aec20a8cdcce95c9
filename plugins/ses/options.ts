import type { AwsConnectionOptions, SnsOptions } from '../../src/plugin-api.js';

/**
 * One SES instance's section of `gateway.yaml`, validated against `schemas/plugins/ses.schema.json`
 * (with the shared AWS options) and frozen.
 *
 * @example
 *   { region: 'eu-west-1', from: 'Shop <no-reply@example.com>', configurationSet: 'events', timeout: '10s',
 *     sns: { topicArns: ['arn:aws:sns:eu-west-1:123456789012:ses-events'], signingCertUrlPattern: '…', maxAge: '1h' } }
 */
export interface SesOptions extends AwsConnectionOptions {
  from: string;
  fromArn?: string;
  replyTo?: string[];
  configurationSet?: string;
  sns?: SnsOptions;
}
