import type { AttemptStatus } from '../../src/plugin-api.js';

/**
 * Twilio `MessageStatus` → normalized attempt status. Statuses of inbound messages (`receiving`,
 * `received`) are absent on purpose: they describe no attempt of ours. `partially_delivered` maps
 * to `sent` because some parts never arrived, so it must not satisfy `until: delivered`.
 */
export const TWILIO_STATUS_MAP: Readonly<Record<string, AttemptStatus>> = Object.freeze({
  queued: 'queued',
  accepted: 'queued',
  scheduled: 'queued',
  sending: 'sent',
  sent: 'sent',
  partially_delivered: 'sent',
  delivered: 'delivered',
  read: 'read',
  undelivered: 'undelivered',
  failed: 'failed',
  canceled: 'failed',
});

/** The normalized status, or `undefined` for a status that says nothing about an outbound attempt. */
export function mapTwilioStatus(status: string): AttemptStatus | undefined {
  return Object.hasOwn(TWILIO_STATUS_MAP, status) ? TWILIO_STATUS_MAP[status] : undefined;
}
