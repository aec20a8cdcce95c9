import type { AttemptStatus } from '../../src/plugin-api.js';

/**
 * Cloud API `statuses[].status` → normalized attempt status. `deleted` (the user deleted the
 * message) and `warning` (a catalog item problem) describe no delivery step and are absent on purpose.
 */
export const WHATSAPP_STATUS_MAP: Readonly<Record<string, AttemptStatus>> = Object.freeze({
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  failed: 'failed',
});

export function mapWhatsAppStatus(status: unknown): AttemptStatus | undefined {
  return typeof status === 'string' && Object.hasOwn(WHATSAPP_STATUS_MAP, status) ? WHATSAPP_STATUS_MAP[status] : undefined;
}
