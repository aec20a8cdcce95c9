import type { Until } from '../config/types.js';
import type { AttemptState, MessageStatus } from '../model.js';
import type { AttemptStatus } from '../plugin-api.js';

const RANK: Record<AttemptStatus, number> = { queued: 1, sent: 2, delivered: 3, read: 4, failed: -1, undelivered: -1 };
const NEEDED: Record<Until, number> = { accepted: 1, sent: 2, delivered: 3, read: 4 };

export const isFailure = (s: AttemptState): boolean => s === 'failed' || s === 'undelivered';

/** Progress rank of an attempt state; 0 for states the provider never reported. */
export function rank(s: AttemptState): number {
  return s in RANK ? RANK[s as AttemptStatus] : 0;
}

export function meets(until: Until, s: AttemptState): boolean {
  return rank(s) >= NEEDED[until];
}

/** Whether a receipt moves an attempt forward. Failure beats queued/sent; nothing undoes delivered. */
export function advances(current: AttemptState, next: AttemptStatus): boolean {
  if (isFailure(current)) return rank(next) >= RANK.delivered;
  if (isFailure(next)) return rank(current) < RANK.delivered;
  return rank(next) > rank(current);
}

/** The message status an attempt state stands for once the message is done. */
export function messageStatusOf(s: AttemptState): MessageStatus {
  if (s === 'read') return 'read';
  if (s === 'delivered') return 'delivered';
  if (rank(s) >= 1) return 'sent';
  return 'failed';
}

const MESSAGE_RANK: Partial<Record<MessageStatus, number>> = { sent: 2, delivered: 3, read: 4 };

/** Progress rank of a finished message's status (failed and the rest rank 0). */
export const messageRank = (s: MessageStatus): number => MESSAGE_RANK[s] ?? 0;
