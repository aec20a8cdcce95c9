/**
 * The pure parts: keyword matching, and the plugins marking opt-out errors and receipts with
 * `signal: 'opted_out'` (Twilio 21610, Bandwidth 4775) and nothing else.
 */
import { describe, expect, it } from 'vitest';
import { classifyKeyword, normalizeKeyword } from '../../src/engine/suppression/keywords.js';
import { toProviderError } from '../../plugins/twilio/errors.js';
import { parseCallbacks } from '../../plugins/bandwidth/index.js';
import { failedEvent } from '../fakes/bandwidth-fake.js';

const DEFAULTS = {
  optOut: ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT'],
  optIn: ['START', 'UNSTOP', 'YES'],
  help: ['HELP', 'INFO'],
};

describe('keywords', () => {
  it('normalizes case, whitespace, punctuation, width and accents', () => {
    expect(['  stop ', 'Stop!\n', '¡STOP!', 'ｓｔｏｐ', '"stop."'].map(normalizeKeyword)).toEqual(['STOP', 'STOP', 'STOP', 'STOP', 'STOP']);
    expect(normalizeKeyword('Opt \t  out')).toBe('OPT OUT');
    expect(normalizeKeyword('Arrêt')).toBe('ARRET');
  });

  it('classifies whole messages only, opt-out first when a word is listed twice', () => {
    expect(['stop', 'quit', ' end ', 'yes', 'unstop', 'info'].map((t) => classifyKeyword(t, DEFAULTS))).toEqual(['optOut', 'optOut', 'optOut', 'optIn', 'optIn', 'help']);
    expect(['stop it', 'please stop', 'help me', '', undefined].map((t) => classifyKeyword(t, DEFAULTS))).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(classifyKeyword('yes', { ...DEFAULTS, optOut: ['YES'] })).toBe('optOut');
    expect(classifyKeyword('stop', { ...DEFAULTS, optOut: ['ARRET'] })).toBeUndefined();
  });

  it('believes the provider\'s own classification (Twilio OptOutType), and nothing else it says', () => {
    expect(classifyKeyword('revoke', DEFAULTS, 'STOP')).toBe('optOut');
    expect(classifyKeyword('hola', DEFAULTS, 'start')).toBe('optIn');
    expect(classifyKeyword('stop', DEFAULTS, 'SOMETHING')).toBe('optOut');
    expect(classifyKeyword('hello', DEFAULTS, 42)).toBeUndefined();
  });
});

describe('provider signals', () => {
  const twilio = (code: number) => toProviderError({ status: 400, code, message: 'refused' }, { timedOut: false, aborted: false, timeoutMs: 1000 });

  it('Twilio 21610 is an opt-out, 21211 is not', () => {
    expect(twilio(21610)).toMatchObject({ signal: 'opted_out', providerCode: '21610', retryable: false });
    expect(twilio(21211).signal).toBeUndefined();
  });

  it('Bandwidth 4775 in message-failed is an opt-out, 4720 is not', () => {
    const sent = { id: 'm-1', from: '+15550003333', to: ['+15557654321'] };
    const result = parseCallbacks([failedEvent(sent, 4775), failedEvent(sent, 4720)]);
    expect(result.ok).toBe(true);
    const events = result.ok ? result.events : [];
    expect(events.map((e) => (e.type === 'status' ? [e.errorCode, e.signal] : []))).toEqual([['4775', 'opted_out'], ['4720', undefined]]);
  });
});
