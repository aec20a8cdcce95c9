import { FINAL_STATUSES, type Message } from '../../src/model.js';
import type { LedgerEntry } from './ledger-plugin.js';

/** History events after which a step may legitimately call a provider again. */
const RESEND_EVENTS = new Set(['retry', 'provider_failover']);
/** Attempt states that say nothing about whether the provider has the message. */
const NO_OUTCOME = new Set(['unknown', 'error', 'sending']);

export interface SoakFindings {
  /** Non-final messages after the drain (acknowledged or not). */
  stuck: Message[];
  unknownAttempts: number;
  /** Provider calls beyond what a step's retries and failovers allow, described. */
  duplicateSends: string[];
  /** Provider calls whose attempt the gateway has no record of, described. */
  unrecordedSends: string[];
  /** Idempotency keys held by more than one message, described. */
  duplicateKeys: string[];
}

/** How many provider calls step `step` of `m` may make: one, plus one per retry or failover. */
function allowedSends(m: Message, step: number): number {
  return 1 + m.history.filter((h) => h.step === step && RESEND_EVENTS.has(h.event)).length;
}

/**
 * Compares what the gateway stored with what the providers saw: messages left non-final, attempts
 * sent twice (by the ledger and by the stored attempts), sends the gateway lost track of, and
 * idempotency keys that made more than one message.
 */
export function analyze(messages: Iterable<Message>, ledger: readonly LedgerEntry[]): SoakFindings {
  const byId = new Map<string, Message>();
  for (const m of messages) byId.set(m.id, m);
  const findings: SoakFindings = { stuck: [], unknownAttempts: 0, duplicateSends: [], unrecordedSends: [], duplicateKeys: [] };

  const byKey = new Map<string, string[]>();
  for (const m of byId.values()) {
    if (!FINAL_STATUSES.has(m.status)) findings.stuck.push(m);
    findings.unknownAttempts += m.attempts.filter((a) => a.status === 'unknown').length;
    if (m.idempotencyKey) byKey.set(m.idempotencyKey, [...(byKey.get(m.idempotencyKey) ?? []), m.id]);
    const known = new Map<number, number>();
    for (const a of m.attempts) if (!NO_OUTCOME.has(a.status)) known.set(a.step, (known.get(a.step) ?? 0) + 1);
    for (const [step, n] of known) {
      if (n > allowedSends(m, step)) findings.duplicateSends.push(`${m.id} step ${step}: ${n} attempts with a known outcome (${m.attempts.filter((a) => a.step === step).map((a) => a.status).join(', ')})`);
    }
  }
  for (const [key, ids] of byKey) if (ids.length > 1) findings.duplicateKeys.push(`${key}: ${ids.join(', ')}`);

  const seenAttempts = new Map<string, number>();
  const perStep = new Map<string, number>();
  for (const e of ledger) {
    seenAttempts.set(e.attempt, (seenAttempts.get(e.attempt) ?? 0) + 1);
    const m = byId.get(e.message);
    const attempt = m?.attempts.find((a) => a.id === e.attempt);
    if (!m || !attempt) {
      findings.unrecordedSends.push(`${e.instance} sent attempt ${e.attempt} of ${e.message}, which ${m ? 'does not list it' : 'does not exist'}`);
      continue;
    }
    const key = `${m.id}/${attempt.step}`;
    perStep.set(key, (perStep.get(key) ?? 0) + 1);
  }
  for (const [attempt, n] of seenAttempts) if (n > 1) findings.duplicateSends.push(`attempt ${attempt} reached its provider ${n} times`);
  for (const [key, n] of perStep) {
    const [id, step] = key.split('/');
    const allowed = allowedSends(byId.get(id)!, Number(step));
    if (n > allowed) findings.duplicateSends.push(`${id} step ${step}: the provider got ${n} sends, ${allowed} allowed`);
  }
  return findings;
}

/** A few lines on one message: where it stopped and what it went through. */
export function describeMessage(m: Message): string {
  const steps = m.steps.map((s, i) => `${i}:${s.state}`).join(' ');
  const attempts = m.attempts.map((a) => `${a.step}/${a.provider}:${a.status}`).join(' ');
  const history = m.history.slice(-8).map((h) => `    ${h.at} ${h.event}${h.step === undefined ? '' : `[${h.step}]`}${h.status ? ` → ${h.status}` : ''}${h.cause ? ` (${h.cause})` : ''}`);
  return [`  ${m.id} ${m.route} ${m.status} created ${m.createdAt} updated ${m.updatedAt}; steps ${steps}; attempts ${attempts || 'none'}`, ...history].join('\n');
}
