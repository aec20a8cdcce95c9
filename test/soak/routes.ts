/**
 * The providers and routes the soak suites load: a WhatsApp step that never answers, then SMS (and
 * email), and a one-step `quick` route; every provider call is written to `ledger` by the ledger
 * plugin. `ledger` may be a placeholder a suite fills per instance.
 *
 * @example soakRoutes({ ledger: '/tmp/x/sends.jsonl', after: '300ms', within: '2s', email: true })
 */
export function soakRoutes(options: { ledger: string; after: string; within: string; email: boolean }): string {
  const mock = (channel: string, outcome: string) => `{ plugin: ledger, ledger: "${options.ledger}", channels: [${channel}], outcome: ${outcome}, after: ${options.after} }`;
  const email = options.email;
  return `
providers:
  wa: ${mock('whatsapp', 'none')}
  sms: ${mock('sms', 'delivered')}
${email ? `  email: ${mock('email', 'delivered')}\n` : ''}  quick: ${mock('sms', 'delivered')}
routes:
  default:
    mode: fallback
    resendUnknown: false
    steps:
      - { channel: whatsapp, providers: [wa], until: delivered, within: 1s }
      - { channel: sms, providers: [sms], until: delivered, within: ${options.within} }
${email ? `      - { channel: email, providers: [email], until: delivered, within: ${options.within} }\n` : ''}  quick:
    mode: fallback
    resendUnknown: false
    steps:
      - { channel: sms, providers: [quick], until: delivered, within: ${options.within} }
`;
}
