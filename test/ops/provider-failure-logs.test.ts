/** Provider failures in the log: one warn line each, naming the instance, its plugin and the reason; no `message` field holding an id. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, configText, eventually, startGateway, type TestGateway } from '../helpers/gateway.js';

// A permanent refusal, then a server error, then a sender that delivers: two failures logged per message.
const FAILING = configText(`
providers:
  strict: { plugin: mock, channels: [sms], sendError: client }
  flaky: { plugin: mock, channels: [sms], sendError: server }
  mail: { plugin: mock, channels: [email], outcome: delivered, after: 0s, webhookToken: mock-token-0123 }
routes:
  default:
    steps:
      - { channel: sms, providers: [strict, flaky], until: delivered, within: 1s }
      - { channel: email, providers: [mail], until: delivered, within: 1m }
`);

type Line = Record<string, unknown> & { level: string; msg: string };

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('provider failure logs', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway(FAILING);
  });
  afterAll(() => gw.close());
  const lines = () => gw.logs.map((l) => JSON.parse(l) as Line);

  it('a failed send names the instance, its plugin, the reason, the message and the attempt', async () => {
    const { id } = (await gw.request.post('/v1/messages').set('x-api-key', API_KEY).send({ route: 'default', to: { sms: '+15551230001', email: 'ada@example.com' }, content: { text: 'hi' } }).expect(202)).body as { id: string };
    const failures = await eventually(() => {
      const found = lines().filter((l) => l.messageId === id && l.level === 'warn');
      expect(found.map((l) => l.provider)).toEqual(expect.arrayContaining(['strict', 'flaky']));
      return found;
    });
    const strict = failures.find((l) => l.provider === 'strict')!;
    expect(strict).toMatchObject({ plugin: 'mock', operation: 'send', reason: 'client', retryable: false, messageId: id, attemptId: expect.any(String) });
    expect(strict.msg).toMatch(/^strict: send failed \(client\): /);
    expect(failures.find((l) => l.provider === 'flaky')).toMatchObject({ plugin: 'mock', reason: 'server', retryable: true });
    // The attempt ids logged are the message's own.
    const m = (await gw.request.get(`/v1/messages/${id}`).set('x-api-key', API_KEY).expect(200)).body as { attempts: { id: string; provider: string }[] };
    expect(m.attempts.find((a) => a.provider === 'strict')?.id).toBe(strict.attemptId);
  });

  it('a refused webhook names the instance, the kind and the reason', async () => {
    await gw.request.post('/webhooks/mail/status').send({ messageId: 'x', status: 'delivered' }).expect(401);
    expect(lines().find((l) => l.provider === 'mail' && l.kind === 'status')).toMatchObject({ level: 'warn', status: 401, reason: 'missing or wrong x-mock-token' });
  });

  it('no log line has a top-level `message` field (log pipelines take it for the text)', () => {
    expect(lines().length).toBeGreaterThan(0);
    for (const line of lines()) expect(line).not.toHaveProperty('message');
  });

  it('no logger call in the source passes a `message` field', () => {
    const offenders = [...sources('src'), ...sources('plugins')].flatMap((file) =>
      readFileSync(file, 'utf8').split('\n').flatMap((text, i) => (/logger\??\.(trace|debug|info|warn|error|fatal|child)\(\s*\{[^}]*\bmessage:/.test(text) ? [`${file}:${i + 1}`] : [])));
    expect(offenders).toEqual([]);
  });
});
