import type { AttemptStatus } from '../../src/plugin-api.js';

/**
 * Infobip's status groups (`status.groupName`, ids 1–5) → normalized attempt status. Within
 * DELIVERED, only DELIVERED_TO_HANDSET is the handset's own receipt; DELIVERED_TO_OPERATOR is an
 * intermediate report and must not satisfy `until: delivered`. EXPIRED (Infobip gave up inside
 * the validity period) and UNDELIVERABLE are both `undelivered`; REJECTED never left Infobip.
 */
const BY_GROUP: Readonly<Record<string, AttemptStatus>> = Object.freeze({
  PENDING: 'queued',
  UNDELIVERABLE: 'undelivered',
  DELIVERED: 'delivered',
  EXPIRED: 'undelivered',
  REJECTED: 'failed',
});

const BY_NAME: Readonly<Record<string, AttemptStatus>> = Object.freeze({
  PENDING_ENROUTE: 'sent',
  DELIVERED_TO_OPERATOR: 'sent',
});

/** Group ids as documented, for reports that carry `groupId` without `groupName`. */
const GROUP_NAMES: Readonly<Record<number, string>> = Object.freeze({ 1: 'PENDING', 2: 'UNDELIVERABLE', 3: 'DELIVERED', 4: 'EXPIRED', 5: 'REJECTED' });

export interface InfobipStatus {
  groupId?: number;
  groupName?: string;
  id?: number;
  name?: string;
  description?: string;
}

/** The group name of a status object, from `groupName` or `groupId`. */
export function groupOf(status: InfobipStatus): string | undefined {
  if (typeof status.groupName === 'string' && status.groupName !== '') return status.groupName.toUpperCase();
  return typeof status.groupId === 'number' ? GROUP_NAMES[status.groupId] : undefined;
}

/**
 * The normalized status of an Infobip status object, or undefined for a group this map does not
 * know (acknowledged and ignored, so Infobip does not retry it).
 *
 * @example mapInfobipStatus({ groupName: 'DELIVERED', name: 'DELIVERED_TO_HANDSET' }) // → 'delivered'
 */
export function mapInfobipStatus(status: InfobipStatus): AttemptStatus | undefined {
  const name = typeof status.name === 'string' ? status.name.toUpperCase() : '';
  if (Object.hasOwn(BY_NAME, name)) return BY_NAME[name];
  const group = groupOf(status);
  return group !== undefined && Object.hasOwn(BY_GROUP, group) ? BY_GROUP[group] : undefined;
}
