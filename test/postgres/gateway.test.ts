/**
 * The daemon on PostgreSQL (`store: { kind: postgres, url }`), in process: a message is accepted,
 * delivered and still there with its history after a restart on the same database; an idempotent
 * replay finds it; a fallback timer pending at the stop fires after the restart.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/model.js';
import { API_KEY, configText, eventually, settle, type TestGateway } from '../helpers/gateway.js';
import { onPostgres, postgresGateways } from '../helpers/postgres-gateways.js';

// The URL through `${env:…}`, as an operator keeps a password out of the file.
const yaml = onPostgres(configText(`
providers:
  wa: { plugin: mock, channels: [whatsapp], outcome: none }
  quiet: { plugin: mock, channels: [sms], outcome: none }
  sms: { plugin: mock, channels: [sms], outcome: delivered, after: 0s }
routes:
  default:
    steps:
      - { channel: sms, providers: [sms], until: delivered, within: 1m }
  quiet:
    steps:
      - { channel: sms, providers: [quiet], until: delivered, within: 1m }
  fallback:
    steps:
      - { channel: whatsapp, providers: [wa], until: delivered, within: 3s }
      - { channel: sms, providers: [sms], until: delivered, within: 1m }
`));

const pg = postgresGateways(yaml);

const get = async (gw: TestGateway, id: string) => (await gw.request.get(`/v1/messages/${id}`).set('x-api-key', API_KEY).expect(200)).body as Message;

describe('the gateway on PostgreSQL', () => {
  it('delivers, keeps the message and its history across a restart, replays an idempotency key, and fires a pending fallback after the restart', async () => {
    const first = await pg.start();
    const send = { route: 'default', to: { sms: '+15551234567' }, content: { text: 'hello' } };
    const accepted = await first.request.post('/v1/messages').set('x-api-key', API_KEY).set('Idempotency-Key', 'order-1').send(send).expect(202);
    const id = accepted.body.id as string;
    await eventually(async () => expect((await get(first, id)).status).toBe('delivered'));

    const pending = await first.request.post('/v1/messages').set('x-api-key', API_KEY).send({ ...send, route: 'fallback', to: { phone: '+15551234567' } }).expect(202);
    const fallbackId = pending.body.id as string;
    await eventually(async () => expect((await get(first, fallbackId)).attempts.map((a) => a.channel)).toEqual(['whatsapp']));
    await settle(first.app);
    // Everything went to the database: the file store's folder was never made.
    expect(existsSync(join(first.dir, 'data'))).toBe(false);
    const delivered = await get(first, id);
    await pg.stop(first);

    const restartedAt = Date.now();
    const second = await pg.start(first.dir);
    expect(await get(second, id)).toEqual(delivered);
    expect(delivered.history.map((h) => h.event)).toContain('accepted');
    // The same key and body: the same message, nothing sent again.
    const replay = await second.request.post('/v1/messages').set('x-api-key', API_KEY).set('Idempotency-Key', 'order-1').send(send).expect(202);
    expect(replay.body).toEqual({ id, status: 'delivered' });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect((await get(second, id)).attempts).toHaveLength(1);
    const list = await second.request.get('/v1/messages?limit=10').set('x-api-key', API_KEY).expect(200);
    expect(list.body.items.map((m: Message) => m.id)).toEqual([fallbackId, id]);

    // The WhatsApp step's 3 s wait was armed by the first process; the second one fires it, once.
    const done = await eventually(async () => {
      const m = await get(second, fallbackId);
      expect(m.status).toBe('delivered');
      return m;
    }, 10_000);
    expect(done.attempts.map((a) => a.channel)).toEqual(['whatsapp', 'sms']);
    const fallbacks = done.history.filter((h) => h.event === 'fallback');
    expect(fallbacks).toHaveLength(1);
    expect(Date.parse(fallbacks[0].at)).toBeGreaterThanOrEqual(restartedAt);
  });

  it('two gateways on one database: a receipt at the second finishes a message the first sent, and one Idempotency-Key at both makes one message', async () => {
    const a = await pg.start();
    const b = await pg.start();
    const sent = await a.request.post('/v1/messages').set('x-api-key', API_KEY).send({ route: 'quiet', to: { sms: '+15551234567' }, content: { text: 'hi' } }).expect(202);
    const id = sent.body.id as string;
    const attempt = await eventually(async () => {
      const m = await get(b, id);
      expect(m.attempts[0]?.providerMessageId).toBeDefined();
      return m.attempts[0];
    });
    await b.request.post('/webhooks/quiet/status').send({ messageId: attempt.providerMessageId, status: 'delivered' }).expect(200);
    const done = await get(a, id);
    expect(done.status).toBe('delivered');
    expect(done.history.filter((h) => h.event === 'receipt')).toHaveLength(1);

    // Twins at both instances at once, several rounds: each key names one message, answered to both.
    for (let round = 0; round < 10; round += 1) {
      const body = { route: 'default', to: { sms: '+15551234567' }, content: { text: `twin ${round}` } };
      const post = (gw: TestGateway) => gw.request.post('/v1/messages').set('x-api-key', API_KEY).set('Idempotency-Key', `twin-${round}`).send(body);
      const [x, y] = await Promise.all([post(a), post(b)]);
      expect([x.status, y.status]).toEqual([202, 202]);
      expect(x.body.id).toBe(y.body.id);
    }
    const list = await a.request.get('/v1/messages?limit=100').set('x-api-key', API_KEY).expect(200);
    const twins = (list.body.items as Message[]).filter((m) => m.idempotencyKey?.startsWith('twin-'));
    expect(twins).toHaveLength(10);
  });

  it('an unreachable database at start: the daemon exits 1 with one line, the password masked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-'));
    try {
      const file = join(dir, 'gateway.yaml');
      writeFileSync(file, yaml);
      const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(process.cwd(), 'src', 'main.ts'), 'start', '--config', file], {
        env: { PATH: process.env.PATH ?? '', DATABASE_URL: 'postgres://app:s3cret-pw@127.0.0.1:1/switchboard' },
        timeout: 15_000,
      }).then(() => ({ code: 0, stderr: '' }), (err: { code: number; stderr: string }) => err);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^switchboard: cannot connect to the database at postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/switchboard: .*ECONNREFUSED.*\n$/);
      expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      expect(result.stderr).not.toContain('s3cret-pw');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
