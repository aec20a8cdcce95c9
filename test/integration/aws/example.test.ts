/**
 * "Done when", as a new user would try it: `examples/aws-omnichannel.yaml` as shipped, pointed at
 * the fakes through its environment variables, and the omnichannel body from the README.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../../src/model.js';
import { startSesFake, type SesFake } from '../../fakes/aws/ses-fake.js';
import { startSmsFake, type SmsFake } from '../../fakes/aws/sms-fake.js';
import { startSnsFake, type SnsFake } from '../../fakes/aws/sns-fake.js';
import { startWhatsAppFake, whatsappStatus, type WhatsAppFake } from '../../fakes/aws/whatsapp-fake.js';
import { eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';

const EXAMPLE = 'examples/aws-omnichannel.yaml';
const KEY = 'example-key-0123456789';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:switchboard-events';

/** The first fenced block of `lang` after a README heading. */
function readmeBlock(heading: string, lang: string): string {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf(`\n${heading}\n`));
  const block = new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``).exec(section);
  if (!block) throw new Error(`README: no ${lang} block after "${heading}"`);
  return block[1];
}

let fakes: { ses: SesFake; sms: SmsFake; wa: WhatsAppFake; sns: SnsFake };
let gw: TestGateway;
beforeAll(async () => {
  const [ses, sms, wa, sns] = await Promise.all([startSesFake(), startSmsFake(), startWhatsAppFake(), startSnsFake()]);
  fakes = { ses, sms, wa, sns };
  gw = await startGateway(readFileSync(EXAMPLE, 'utf8'), {
    env: {
      SWITCHBOARD_API_KEY: KEY, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE0000000', AWS_SECRET_ACCESS_KEY: 'example-secret',
      SES_ENDPOINT: ses.url, SMS_ENDPOINT: sms.url, SOCIAL_ENDPOINT: wa.url, SNS_CERT_URL_PATTERN: sns.certUrlPattern,
      SES_FROM: 'no-reply@example.com',
    },
  });
});
afterAll(async () => {
  await gw.close();
  await Promise.all(Object.values(fakes).map((f) => f.close()));
});

const post = (envelope: ReturnType<SnsFake['notification']>, instance: string) => gw.request.post(`/webhooks/${instance}/sns`).set(fakes.sns.headers(envelope)).send(fakes.sns.body(envelope));

describe('examples/aws-omnichannel.yaml with the README body', () => {
  it('falls back from WhatsApp to email and ends delivered on the SES Delivery event; a forged SNS post is refused', async () => {
    const body = JSON.parse(readmeBlock('## Omnichannel API (the AWS fallback stack\'s body)', 'json')) as { fallback_seconds: number };
    expect(readmeBlock('## Omnichannel API (the AWS fallback stack\'s body)', 'sh')).toContain('/v1/omnichannel');
    // The README waits 30 s for WhatsApp; the test does not.
    const res = await gw.request.post('/v1/omnichannel').set('x-api-key', KEY).send({ ...body, fallback_seconds: 1 });
    expect(res.status, JSON.stringify(res.body)).toBe(202);

    const get = async () => (await gw.request.get(`/v1/messages/${res.body.id}`).set('x-api-key', KEY)).body as Message;
    await eventually(async () => expect((await get()).attempts[0]?.status).toBe('queued'));
    expect(fakes.wa.sent[0].message).toMatchObject({ to: '+15557654321', text: { body: 'Your order has shipped' } });
    expect((await post(fakes.sns.notification(TOPIC, whatsappStatus(fakes.wa.sent[0], 'sent')), 'aws-wa')).status).toBe(200);

    await eventually(async () => expect((await get()).attempts[1]?.status).toBe('queued'), 5000);
    const mail = fakes.ses.sent[0];
    expect(mail.body).toMatchObject({ FromEmailAddress: 'no-reply@example.com', Destination: { ToAddresses: ['ann@example.com'] }, ConfigurationSetName: 'switchboard-events' });

    const forged = fakes.sns.notification(TOPIC, { eventType: 'Delivery', mail: { messageId: mail.messageId } });
    expect((await post({ ...forged, Signature: forged.Signature.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) }, 'ses')).status).toBe(403);
    expect((await get()).status).toBe('routing');

    expect((await post(forged, 'ses')).status).toBe(200);
    const m = await eventually(async () => {
      const got = await get();
      expect(got.status).toBe('delivered');
      return got;
    });
    expect(m.attempts.map((a) => [a.channel, a.status])).toEqual([['whatsapp', 'sent'], ['email', 'delivered']]);
  });
});
