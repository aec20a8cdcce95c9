import { describe, expect, it } from 'vitest';
import type { Attempt, HistoryEntry, Message } from '../../src/model.js';
import { analyze } from './checks.js';
import type { LedgerEntry } from './ledger-plugin.js';

const AT = '2026-11-28T19:00:00.000Z';

function attempt(id: string, step: number, status: Attempt['status']): Attempt {
  return { id, step, channel: step === 0 ? 'whatsapp' : 'sms', provider: step === 0 ? 'wa' : 'sms', to: '+15550000000', status, createdAt: AT, updatedAt: AT, receipts: [] };
}

function message(id: string, status: Message['status'], attempts: Attempt[], extra: { key?: string; history?: Omit<HistoryEntry, 'at'>[] } = {}): Message {
  return {
    id, route: 'default', status, attempts,
    plan: { mode: 'fallback', resendUnknown: false, steps: [] } as unknown as Message['plan'],
    to: { sms: '+15550000000' }, content: { text: 'x' },
    steps: [{ state: 'succeeded', providerIndex: 0, retries: 0 }],
    history: (extra.history ?? []).map((h) => ({ at: AT, ...h })),
    createdAt: AT, updatedAt: AT,
    ...(extra.key ? { idempotencyKey: extra.key } : {}),
  };
}

const sent = (m: string, a: string, channel: LedgerEntry['channel'] = 'sms'): LedgerEntry => ({ message: m, attempt: a, channel, instance: 'sms', at: 0 });

describe('the crash soak checks', () => {
  it('pass a message whose step called its provider once, after an unknown attempt was left alone', () => {
    const m = message('M1', 'delivered', [attempt('A0', 0, 'unknown'), attempt('A1', 1, 'delivered')], { key: 'k1' });
    const f = analyze([m], [sent('M1', 'A0', 'whatsapp'), sent('M1', 'A1')]);
    expect(f).toEqual({ stuck: [], unknownAttempts: 1, duplicateSends: [], unrecordedSends: [], duplicateKeys: [] });
  });

  it('find a step sent twice, an attempt sent twice, a send without its attempt and a key with two messages', () => {
    const twice = message('M1', 'delivered', [attempt('A1', 1, 'delivered'), attempt('A2', 1, 'sent')], { key: 'k1' });
    const twin = message('M2', 'routing', [attempt('A3', 1, 'queued')], { key: 'k1' });
    const f = analyze([twice, twin], [sent('M1', 'A1'), sent('M1', 'A2'), sent('M2', 'A3'), sent('M2', 'A3'), sent('M2', 'A9'), sent('M3', 'A8')]);
    expect(f.stuck.map((m) => m.id)).toEqual(['M2']);
    expect(f.duplicateKeys).toEqual(['k1: M1, M2']);
    expect(f.unrecordedSends).toHaveLength(2);
    expect(f.duplicateSends).toEqual([
      'M1 step 1: 2 attempts with a known outcome (delivered, sent)',
      'attempt A3 reached its provider 2 times',
      'M1 step 1: the provider got 2 sends, 1 allowed',
      'M2 step 1: the provider got 2 sends, 1 allowed',
    ]);
  });

  it('allow one more send per retry or provider failover of the step', () => {
    const m = message('M1', 'delivered', [attempt('A1', 1, 'failed'), attempt('A2', 1, 'delivered')], { history: [{ event: 'retry', step: 1 }] });
    expect(analyze([m], [sent('M1', 'A1'), sent('M1', 'A2')]).duplicateSends).toEqual([]);
  });
});
