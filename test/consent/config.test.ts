import { describe, expect, it } from 'vitest';
import { configErrorsOf } from '../helpers/config-errors.js';

const providers = `providers:
  wa: { plugin: mock, channels: [whatsapp], from: "+14155550000" }
  sms: { plugin: mock, channels: [sms] }
`;

describe('consent, suppression and compat config', () => {
  it('refuses an unknown policy, a policy on a non-WhatsApp step, a hold longer than its window and a compat route that does not exist, each at its line', async () => {
    const errors = await configErrorsOf(`${providers}consent:
  optin:
    window: 1h
    hold: 2h
    optIn: { default: { name: reconnect, language: en } }
routes:
  notify:
    steps:
      - { channel: whatsapp, providers: [wa], consent: nope }
      - { channel: sms, providers: [sms], consent: optin }
compat:
  sendSMS: { route: missing }
`);
    expect(errors).toEqual([
      expect.stringMatching(/^gateway\.yaml:12:56: routes\.notify\.steps\[0\]: unknown consent policy "nope" \(known: optin\)/),
      expect.stringMatching(/^gateway\.yaml:13:52: routes\.notify\.steps\[1\]: a consent policy guards whatsapp steps only, not sms/),
      expect.stringMatching(/^gateway\.yaml:7:11: consent\.optin: hold \(2h\) is longer than the window \(1h\)$/),
      expect.stringMatching(/^gateway\.yaml:15:21: compat\.sendSMS: unknown route "missing"/),
    ]);
  });

  it('refuses an opt-in map without a default, a bad language and a bad onExpiry', async () => {
    const errors = await configErrorsOf(`${providers}consent:
  optin:
    optIn: { es: { name: reconnect_es, language: es } }
    onExpiry: later
  other:
    optIn: { default: { name: x, language: "english please" } }
routes:
  notify:
    steps:
      - { channel: whatsapp, providers: [wa], consent: optin }
`);
    expect(errors.join('\n')).toMatch(/gateway\.yaml:\d+:\d+: consent\.optin\.optIn: missing required property "default"/);
    expect(errors.join('\n')).toMatch(/gateway\.yaml:\d+:\d+: consent\.optin\.onExpiry: must be equal to one of the allowed values: fallback, expire/);
    expect(errors.join('\n')).toMatch(/gateway\.yaml:\d+:\d+: consent\.other\.optIn\.default\.language: must match pattern/);
  });

  it('refuses suppression keywords that are not a list of words', async () => {
    const errors = await configErrorsOf(`${providers}routes:
  notify:
    steps:
      - { channel: sms, providers: [sms] }
suppression:
  keywords: { optOut: STOP }
`);
    expect(errors).toEqual([expect.stringMatching(/^gateway\.yaml:9:23: suppression\.keywords\.optOut: must be array/)]);
  });
});
