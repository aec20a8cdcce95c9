import type { ConsentPolicyConfig, TemplateRef } from '../../config/types.js';

// `pt-BR`, `pt_br` and `PT_BR` name one language: tags compare lowercased, `-` as `_`.
const tagOf = (tag: string): string => tag.trim().toLowerCase().replaceAll('-', '_');

/**
 * The opt-in template for a recipient's locale: the exact language (`pt_BR`), then its base
 * language (`pt`), then `default`.
 *
 * @example optInTemplate({ default: { name: 'reconnect', language: 'en' }, pt: { name: 'reconnect_pt', language: 'pt_BR' } }, 'pt-BR') // → reconnect_pt
 */
export function optInTemplate(optIn: ConsentPolicyConfig['optIn'], locale: string | undefined): TemplateRef {
  if (locale === undefined) return optIn.default;
  const byTag = new Map(Object.entries(optIn).map(([tag, ref]) => [tagOf(tag), ref]));
  const tag = tagOf(locale);
  return byTag.get(tag) ?? byTag.get(tag.split('_')[0]) ?? optIn.default;
}
