import type { SuppressionEntry } from '../../model.js';
import type { Channel } from '../../plugin-api.js';
import { normalizeAddress } from '../addresses.js';

/**
 * The channel an opt-out belongs to. SMS and MMS are one: a user who texts STOP expects no more
 * texts from that number, with or without a picture (CTIA treats them as one program).
 */
export type SuppressionChannel = 'sms' | 'whatsapp' | 'email';

export const suppressionChannel = (channel: Channel): SuppressionChannel => (channel === 'mms' ? 'sms' : channel);

/** The store key of one (channel, business sender, user): `<channel>|<sender>|<user>`, all normalized. */
export function suppressionKey(channel: Channel, sender: string, address: string): string {
  return `${suppressionChannel(channel)}|${normalizeAddress(sender)}|${normalizeAddress(address)}`;
}

/**
 * What a skipped step records, so an operator reading the history sees why and since when.
 *
 * @example skipReason({ source: 'keyword', detail: 'STOP', at: '2026-11-29T00:00:00.000Z', … }) // 'suppressed: STOP received 2026-11-29T00:00:00.000Z'
 */
export function skipReason(entry: SuppressionEntry): string {
  if (entry.source === 'keyword') return `suppressed: ${entry.detail} received ${entry.at}`;
  if (entry.source === 'provider') return `suppressed: the provider reported an opt-out (${entry.detail}) ${entry.at}`;
  return `suppressed: added through the API ${entry.at}${entry.detail ? ` (${entry.detail})` : ''}`;
}
