/**
 * The composition root's list of built-in plugins: the one file in `src/` that imports `plugins/`.
 * Each is imported when a config names it, not at start: a gateway configures one or two of the
 * eleven, and importing the others (70 modules) was a tenth of an empty store's start. User
 * plugins are added from paths in `gateway.yaml` (`plugins:`) at load time.
 */
import { definitionOf, type KnownPlugin } from './config/load.js';
import type { PluginDefinition } from './plugin-api.js';

// Each module's own options type, seen from here as any plugin's.
const builtin = (load: () => Promise<unknown>) => load as () => Promise<PluginDefinition<never>>;

export const builtinPlugins: ReadonlyMap<string, KnownPlugin> = new Map([
  ['mock', builtin(async () => (await import('../plugins/mock/index.js')).mockPlugin)],
  ['twilio', builtin(async () => (await import('../plugins/twilio/index.js')).twilioPlugin)],
  ['bandwidth', builtin(async () => (await import('../plugins/bandwidth/index.js')).bandwidthPlugin)],
  ['avaya-infinity', builtin(async () => (await import('../plugins/avaya-infinity/index.js')).avayaInfinityPlugin)],
  ['whatsapp-cloud', builtin(async () => (await import('../plugins/whatsapp-cloud/index.js')).whatsappCloudPlugin)],
  ['smtp', builtin(async () => (await import('../plugins/smtp/index.js')).smtpPlugin)],
  ['ses', builtin(async () => (await import('../plugins/ses/index.js')).sesPlugin)],
  ['aws-sms', builtin(async () => (await import('../plugins/aws-sms/index.js')).awsSmsPlugin)],
  ['aws-whatsapp', builtin(async () => (await import('../plugins/aws-whatsapp/index.js')).awsWhatsAppPlugin)],
  ['infobip', builtin(async () => (await import('../plugins/infobip/index.js')).infobipPlugin)],
  ['acs', builtin(async () => (await import('../plugins/acs/index.js')).acsPlugin)],
]);

/** Every built-in plugin imported (the full schema for editors, which describes them all). */
export async function allBuiltinPlugins(): Promise<ReadonlyMap<string, PluginDefinition<never>>> {
  return new Map(await Promise.all([...builtinPlugins].map(async ([name, known]) => [name, await definitionOf(known)] as const)));
}
