/**
 * The records Switchboard keeps: messages with their attempts and history, inbound messages,
 * timers, idempotency keys, callback deliveries and dead letters. Plain JSON, no classes, so any
 * store can hold them.
 */
import type { AttemptStatus, Channel, InboundEvent, ResolvedContent } from './plugin-api.js';
import type { RouteConfig } from './config/types.js';

export type MessageStatus = 'accepted' | 'routing' | 'held' | 'sent' | 'delivered' | 'read' | 'failed' | 'expired' | 'canceled';

export const FINAL_STATUSES: ReadonlySet<MessageStatus> = new Set(['sent', 'delivered', 'read', 'failed', 'expired', 'canceled']);

/** `unknown`: the gateway died while the provider call was in flight, so nobody knows. */
export type AttemptState = AttemptStatus | 'sending' | 'unknown' | 'error';

export interface Attempt {
  id: string;
  step: number;
  channel: Channel;
  provider: string;
  to: string;
  status: AttemptState;
  providerMessageId?: string;
  errorCode?: string;
  errorReason?: string;
  retryable?: boolean;
  details?: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  /**
   * `optin`: the consent policy's opt-in template, sent while the step is held. It never meets the
   * step's `until` and never counts towards the message's final status.
   */
  purpose?: 'optin';
  /** Every status the provider reported, in order, with when it arrived. */
  receipts: { status: AttemptStatus; at: string; errorCode?: string }[];
}

/** `waiting_rate`: the step's provider is at its `rateLimit`; the send waits on a stored timer. */
export type StepState = 'pending' | 'active' | 'held' | 'waiting_retry' | 'waiting_rate' | 'succeeded' | 'failed' | 'timed_out' | 'skipped' | 'canceled' | 'expired';

/** Why a step is held and what its hold timer does when it runs out. */
export interface StepHold {
  policy: string;
  until: number;
  onExpiry: 'fallback' | 'expire';
  /** Why the step is held (history), and what is recorded when the hold runs out. */
  cause: string;
  expiry: string;
}

export interface StepProgress {
  state: StepState;
  /** Index into the step's provider list of the provider now (or last) tried. */
  providerIndex: number;
  retries: number;
  startedAt?: string;
  endedAt?: string;
  /** Set while the step is `held` by a consent policy. */
  hold?: StepHold;
}

export interface HistoryEntry {
  at: string;
  event: string;
  status?: MessageStatus;
  step?: number;
  attempt?: string;
  cause?: string;
}

export interface MessageContent extends ResolvedContent {
  /** Per-channel overrides of the fields above. */
  channels?: Partial<Record<Channel, ResolvedContent>>;
}

export interface Message {
  id: string;
  route: string;
  /** The route as it was when the message was accepted: a reload never changes a message in flight. */
  plan: RouteConfig;
  to: Partial<Record<Channel, string>>;
  content: MessageContent;
  callbackUrl?: string;
  tags?: Record<string, string>;
  /** The recipient's language (`pt_BR`, `es`): it picks consent opt-in templates. */
  locale?: string;
  /** The business sender the message must leave from (normalized); steps use only providers that may. */
  from?: string;
  idempotencyKey?: string;
  status: MessageStatus;
  steps: StepProgress[];
  attempts: Attempt[];
  history: HistoryEntry[];
  createdAt: string;
  updatedAt: string;
  completedAt?: string;
}

/** An inbound message as stored: the plugin's normalized event, with our id and the instance. */
export interface InboundRecord extends Omit<InboundEvent, 'type' | 'receivedAt'> {
  id: string;
  instance: string;
  receivedAt: string;
}

export interface TimerRecord {
  id: string;
  kind: string;
  due: number;
  payload: Record<string, string | number>;
}

/** A receipt that came before its attempt was known (the provider called back before answering). */
export interface ParkedReceipt {
  instance: string;
  event: import('./plugin-api.js').StatusEvent;
  expiresAt: number;
}

/** A step held by a consent policy, as its (sender, user) pair lists it. */
export interface ConsentHold {
  message: string;
  step: number;
  at: number;
}

export interface OptInRecord {
  messageId: string;
  template: string;
  at: number;
  expiresAt: number;
}

export interface LateReplyMark {
  policy: string;
  provider: string;
  messageId: string;
  expiresAt: number;
}

/** A customer's conversation with a bridge's contact center, on one business number. */
export interface Conversation {
  bridge: string;
  contactCenter: string;
  /** The contact center's id for it (Avaya's conversationSessionId), once it gave one. */
  conversationId?: string;
  customer: string;
  business: string;
  /** The channel and provider instance the customer last wrote through. */
  channel: string;
  provider: string;
  at: string;
  /** A conversation nobody wrote in for 30 days is forgotten (ms). */
  expiresAt: number;
}

/** One opted-out user on one channel and business sender. */
export interface SuppressionEntry {
  channel: string;
  sender: string;
  address: string;
  /** `keyword`: the user wrote STOP (or another opt-out word); `provider`: a provider refused a send; `api`: an operator. */
  source: 'keyword' | 'provider' | 'api';
  /** The keyword, the provider error code, or the operator's note. */
  detail: string;
  at: string;
}

export interface IdempotencyRecord {
  key: string;
  messageId: string;
  bodyHash: string;
  expiresAt: number;
}

/**
 * A durable job with retries (`src/jobs/queue.ts`): a status callback (no `kind`, as stored before
 * kinds existed), a forwarded inbound message, a contact-center delivery…
 */
export interface Job {
  id: string;
  kind?: string;
  /** The message (or inbound message) the job is about; retention keeps it while the job lives. */
  messageId: string;
  /** Where an HTTP job posts to ('' for jobs that are not HTTP posts). */
  url: string;
  body: string;
  /** The provider instance a job goes through, for kinds that use one. */
  target?: string;
  tries: number;
  firstTriedAt?: number;
  lastError?: string;
}

export type CallbackJob = Job;

export interface DeadLetter {
  id: string;
  kind: 'callback' | string;
  reason: string;
  at: string;
  job: Job;
}
