/**
 * The composition root's list of built-in plugins: the one file in `src/` that imports `plugins/`.
 * User plugins are added from paths in `gateway.yaml` (`plugins:`) at load time.
 */
import { acsPlugin } from '../plugins/acs/index.js';
import { avayaInfinityPlugin } from '../plugins/avaya-infinity/index.js';
import { awsSmsPlugin } from '../plugins/aws-sms/index.js';
import { awsWhatsAppPlugin } from '../plugins/aws-whatsapp/index.js';
import { bandwidthPlugin } from '../plugins/bandwidth/index.js';
import { infobipPlugin } from '../plugins/infobip/index.js';
import { mockPlugin } from '../plugins/mock/index.js';
import { smtpPlugin } from '../plugins/smtp/index.js';
import { sesPlugin } from '../plugins/ses/index.js';
import { twilioPlugin } from '../plugins/twilio/index.js';
import { whatsappCloudPlugin } from '../plugins/whatsapp-cloud/index.js';
import type { PluginDefinition } from './plugin-api.js';

const plugins: readonly PluginDefinition<never>[] = [mockPlugin, twilioPlugin, bandwidthPlugin, avayaInfinityPlugin, whatsappCloudPlugin, smtpPlugin, sesPlugin, awsSmsPlugin, awsWhatsAppPlugin, infobipPlugin, acsPlugin] as unknown as PluginDefinition<never>[];

export const builtinPlugins: ReadonlyMap<string, PluginDefinition<never>> = new Map(plugins.map((p) => [p.name, p]));
