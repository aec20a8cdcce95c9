import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { invocationOf } from '../../src/cli/client/command.js';
import { sendBody, sendCommand } from '../../src/cli/client/commands/send.js';

const bodyOf = (args: string[]) => sendBody(invocationOf(sendCommand, args, { env: {}, out: () => undefined, err: () => undefined }));

describe('switchboard send: flags to the request body', () => {
  it('maps recipients, content, template variables, tags and options to the API fields', async () => {
    expect(await bodyOf([
      '--route', 'alerts', '--to', 'sms=+15551230001', '--to', 'sms=+15551230002', '--to', 'ops@example.com',
      '--text', 'hi', '--subject', 'S', '--media', 'https://x.test/a.png', '--media', 'https://x.test/b.png',
      '--tag', 'env=prod', '--tag', 'team=a=b', '--from', '+15557654321', '--locale', 'pt_BR', '--callback-url', 'https://cb.test/h',
    ])).toEqual({
      route: 'alerts',
      to: { sms: ['+15551230001', '+15551230002'], email: 'ops@example.com' },
      content: { text: 'hi', subject: 'S', media: ['https://x.test/a.png', 'https://x.test/b.png'] },
      tags: { env: 'prod', team: 'a=b' },
      from: '+15557654321',
      locale: 'pt_BR',
      callbackUrl: 'https://cb.test/h',
    });
  });

  it('template variables are positional unless every one is NAME=VALUE', async () => {
    const positional = await bodyOf(['--to', 'whatsapp=+15551230001', '--template', 'order', '--language', 'en', '--var', '42', '--var', 'x=y']);
    expect(positional.content).toEqual({ template: { name: 'order', language: 'en', variables: ['42', 'x=y'] } });
    const named = await bodyOf(['--to', 'whatsapp=+15551230001', '--template', 'order', '--var', 'id=42']);
    expect(named.content).toEqual({ template: { name: 'order', variables: { id: '42' } } });
  });

  it('lays the flags over a --body file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-send-'));
    try {
      const file = join(dir, 'body.json');
      writeFileSync(file, JSON.stringify({ route: 'r1', to: { email: 'a@example.com' }, content: { text: 'old', html: '<b>x</b>' }, tags: { a: '1' } }));
      expect(await bodyOf(['--body', file, '--text', 'new', '--tag', 'b=2', '--to', 'sms=+15551230001'])).toEqual({
        route: 'r1', to: { email: 'a@example.com', sms: '+15551230001' }, content: { text: 'new', html: '<b>x</b>' }, tags: { a: '1', b: '2' },
      });
      writeFileSync(file, '{ nope');
      await expect(bodyOf(['--body', file])).rejects.toThrow(/^--body .*body\.json: not JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
