import type { SuppressionConfig } from '../../config/types.js';

export type KeywordKind = 'optOut' | 'optIn' | 'help';

// Opt-out is checked first: a word listed twice by mistake must never keep texting a user who asked to stop.
const PRECEDENCE: readonly KeywordKind[] = ['optOut', 'optIn', 'help'];

// Punctuation and symbols around the word ("Stop.", "STOP!", "«stop»") do not change what the user meant.
const EDGES = /^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu;

/**
 * One spelling per keyword: Unicode-normalized (full-width letters, accents dropped: ARRÊT is
 * ARRET), upper case, surrounding whitespace and punctuation gone, inner whitespace runs as one
 * space ("opt  out" = "OPT OUT").
 *
 * @example normalizeKeyword('  Stop!\n') // 'STOP'
 */
export function normalizeKeyword(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').replace(EDGES, '').replace(/\s+/g, ' ').toUpperCase();
}

const compiled = new WeakMap<SuppressionConfig['keywords'], ReadonlyMap<string, KeywordKind>>();

function lookup(keywords: SuppressionConfig['keywords']): ReadonlyMap<string, KeywordKind> {
  let map = compiled.get(keywords);
  if (!map) {
    const built = new Map<string, KeywordKind>();
    for (const kind of PRECEDENCE) {
      for (const word of keywords[kind]) {
        const key = normalizeKeyword(word);
        if (key !== '' && !built.has(key)) built.set(key, kind);
      }
    }
    map = built;
    // Keyed by the frozen config object: a reload brings a new one, so the new words apply at once.
    compiled.set(keywords, map);
  }
  return map;
}

// Twilio Advanced Opt-Out names the class of keyword it matched (its own and localized lists) in `OptOutType`.
const PROVIDER_TYPES: Readonly<Record<string, KeywordKind>> = { STOP: 'optOut', START: 'optIn', HELP: 'help' };

/**
 * The keyword class a whole inbound message is, if any: the message must be the keyword alone
 * (CTIA), so "please stop the reminders" is a conversation, not an opt-out. A provider that
 * classified the message itself (`optOutType`) is believed first.
 *
 * @example classifyKeyword(' stop ', config.keywords) // 'optOut'
 */
export function classifyKeyword(text: string | undefined, keywords: SuppressionConfig['keywords'], optOutType?: unknown): KeywordKind | undefined {
  if (typeof optOutType === 'string' && Object.hasOwn(PROVIDER_TYPES, optOutType.toUpperCase())) return PROVIDER_TYPES[optOutType.toUpperCase()];
  if (text === undefined || text.length > 200) return undefined;
  return lookup(keywords).get(normalizeKeyword(text));
}
