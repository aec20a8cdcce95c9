/**
 * The option schemas of `whatsapp-cloud` and `smtp` as `switchboard check` applies them: bad
 * values are refused at their file:line:column, and defaults are filled in.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { builtinPlugins } from '../../src/registry.js';
import { configErrorsOf, writeConfig } from '../helpers/config-errors.js';
import { configText } from '../helpers/gateway.js';

const config = (providers: string, route = '') => configText(`
providers:
${providers}
routes:
  r:
    steps:
${route}
`);

describe('whatsapp-cloud and smtp options', () => {
  it('refuses a phone number instead of a phone number id, a missing token, a bad version, and an SMTP provider without from', async () => {
    const errors = await configErrorsOf(config(`
  wa: { plugin: whatsapp-cloud, phoneNumberId: "+15550783881", apiVersion: "21" }
  mail: { plugin: smtp, host: smtp.example.com, port: 70000 }`, `
      - { channel: whatsapp, providers: [wa] }`));
    expect(errors).toEqual(expect.arrayContaining([
      expect.stringMatching(/gateway\.yaml:\d+:\d+: providers\.wa: missing required property "accessToken"/),
      expect.stringMatching(/gateway\.yaml:\d+:\d+: providers\.wa\.phoneNumberId: must match pattern/),
      expect.stringMatching(/gateway\.yaml:\d+:\d+: providers\.wa\.apiVersion: must match pattern/),
      expect.stringMatching(/gateway\.yaml:\d+:\d+: providers\.mail: missing required property "from"/),
      expect.stringMatching(/gateway\.yaml:\d+:\d+: providers\.mail\.port: must be <= 65535/),
    ]));
  });

  it('fills in the defaults: Graph origin and version, port 587 with STARTTLS required and certificates checked', async () => {
    const { config: loaded } = await loadConfig(writeConfig(config(`
  wa: { plugin: whatsapp-cloud, phoneNumberId: "106540352242922", accessToken: tok }
  mail: { plugin: smtp, host: smtp.example.com, from: alerts@example.com }`, `
      - { channel: whatsapp, providers: [wa] }
      - { channel: email, providers: [mail], until: sent }`)), { env: {}, builtins: builtinPlugins });
    expect(loaded.providers.wa).toMatchObject({ baseUrl: 'https://graph.facebook.com', apiVersion: 'v21.0', previewUrl: false, timeout: '10s' });
    expect(loaded.providers.mail).toMatchObject({ port: 587, secure: false, starttls: 'required', tls: { rejectUnauthorized: true }, timeout: '30s' });
  });
});
