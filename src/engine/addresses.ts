/**
 * One spelling per address, so a window opened by an inbound message is the one an outbound send
 * looks up: providers write `whatsapp:+1415…`, `+1 415 …` or `tel:+1415…` for the same number.
 *
 * @example normalizeAddress('whatsapp:+1 415 555 0100') // '+14155550100'
 */
export function normalizeAddress(address: string): string {
  const bare = address.trim().replace(/^(whatsapp|sms|tel|mms):/i, '');
  return /^\+?[0-9][0-9 ().-]*$/.test(bare) ? bare.replace(/[ ().-]/g, '') : bare.toLowerCase();
}

/** The key of one (business sender, user) pair: windows, holds and opt-ins are kept under it. */
export const pairKey = (sender: string, user: string): string => `${normalizeAddress(sender)}|${normalizeAddress(user)}`;
