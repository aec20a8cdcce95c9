/**
 * One WhatsApp Cloud instance's section of `gateway.yaml`, validated against
 * `schemas/plugins/whatsapp-cloud.schema.json` (defaults applied) and frozen.
 *
 * @example
 *   { phoneNumberId: '106540352242922', accessToken: '…', appSecret: '…', verifyToken: '…',
 *     baseUrl: 'https://graph.facebook.com', apiVersion: 'v21.0', previewUrl: false, timeout: '10s' }
 */
export interface WhatsAppCloudOptions {
  phoneNumberId: string;
  accessToken: string;
  appSecret?: string;
  verifyToken?: string;
  /** The business number in E.164; windows and suppression key on it when set. */
  from?: string;
  baseUrl: string;
  apiVersion: string;
  previewUrl: boolean;
  timeout: string;
}

/** The business sender windows are kept under: the number when configured, else the phone number id. */
export const senderOf = (options: Pick<WhatsAppCloudOptions, 'from' | 'phoneNumberId'>): string => options.from ?? options.phoneNumberId;

/** `https://graph.facebook.com/v21.0/<phoneNumberId>/messages`. */
export const messagesUrl = (options: WhatsAppCloudOptions): string =>
  `${options.baseUrl.replace(/\/+$/, '')}/${options.apiVersion}/${options.phoneNumberId}/messages`;
