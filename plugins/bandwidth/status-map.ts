import type { AttemptStatus } from '../../src/plugin-api.js';

/**
 * Bandwidth status callback `type` → normalized attempt status. A message gets either
 * `message-delivered` or `message-failed`, never both; for MMS and group messages without
 * Bandwidth's MMS delivery-receipt feature, "delivered" only means handed to its MMSC.
 */
export const STATUS_BY_TYPE: Readonly<Record<string, AttemptStatus>> = {
  'message-sending': 'sent',
  'message-sent': 'sent',
  'message-delivered': 'delivered',
  'message-failed': 'failed',
  'message-read': 'read',
};

/** Inbound callback types that carry a message from a person. */
export const INBOUND_TYPES: ReadonlySet<string> = new Set(['message-received']);
