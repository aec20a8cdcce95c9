import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/model.js';
import { API_KEY, DELIVERING_SMS, READ_KEY, eventually } from '../helpers/gateway.js';
import { closedPort, useCliGateway } from './harness.js';

describe('switchboard send, get, list', () => {
  const h = useCliGateway(DELIVERING_SMS, 'all');

  it('send creates a message that get then shows, with its attempt and history', async () => {
    const sent = await h().cli(['send', '--to', 'sms=+15551234567', '--text', 'hello from the cli', '--tag', 'order=42', '--json']);
    expect(sent).toMatchObject({ code: 0, stderr: '' });
    const { id, status } = JSON.parse(sent.stdout) as { id: string; status: string };
    expect(id).toMatch(/^[0-9A-Z]{26}$/);
    expect(status).toBe('accepted');

    const stored = await eventually(async () => {
      const m = (await h().gw.app.engine.get(id))!;
      expect(m.status).toBe('delivered');
      return m;
    });
    expect(stored.content.text).toBe('hello from the cli');
    expect(stored.tags).toEqual({ order: '42' });

    const shown = await h().cli(['get', id]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^id: +${id}$`, 'm'));
    expect(shown.stdout).toMatch(/^status: +delivered$/m);
    expect(shown.stdout).toMatch(/^to: +sms:\+15551234567$/m);
    expect(shown.stdout).toMatch(/^tags: +order=42$/m);
    expect(shown.stdout).toMatch(/^STEP +CHANNEL +PROVIDER +TO +STATUS +PROVIDER ID +ERROR$/m);
    expect(shown.stdout).toMatch(/^1 +sms +sms +\+15551234567 +delivered +\S+ +-$/m);
    expect(shown.stdout).toMatch(/^AT +EVENT +STATUS +CAUSE$/m);

    const json = JSON.parse((await h().cli(['get', id, '--json'])).stdout) as Message;
    expect(json).toMatchObject({ id, status: 'delivered', route: 'default' });
  });

  it('send prints id and status as a table, and one idempotency key sends once', async () => {
    const args = ['send', '--to', '+15551230000', '--text', 'once', '--idempotency-key', 'cli-key-1'];
    const first = await h().cli(args);
    const again = await h().cli(args);
    expect(first.code).toBe(0);
    const lines = first.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID {26}STATUS$/);
    const [id] = lines[1].split(/\s+/);
    expect(again.stdout.trimEnd().split('\n')[1].split(/\s+/)[0]).toBe(id);
    // A bare number is `phone`: both phone channels.
    expect((await h().gw.app.engine.get(id))!.to).toEqual({ sms: '+15551230000', whatsapp: '+15551230000' });
  });

  it('list --json parses and holds the message sent; filters reach the API', async () => {
    const { id } = JSON.parse((await h().cli(['send', '--route', 'default', '--to', 'sms=+15551239999', '--text', 'listed', '--json'])).stdout) as { id: string };
    await eventually(async () => expect((await h().gw.app.engine.get(id))!.status).toBe('delivered'));

    const all = await h().cli(['list', '--json']);
    expect(all.code).toBe(0);
    const page = JSON.parse(all.stdout) as { items: Message[] };
    expect(page.items.map((m) => m.id)).toContain(id);

    const delivered = JSON.parse((await h().cli(['list', '--status', 'delivered', '--json'])).stdout) as { items: Message[] };
    expect(delivered.items.map((m) => m.id)).toContain(id);
    const failed = JSON.parse((await h().cli(['list', '--status', 'failed', '--json'])).stdout) as { items: Message[] };
    expect(failed.items).toEqual([]);
    const otherRoute = JSON.parse((await h().cli(['list', '--route', 'nope', '--json'])).stdout) as { items: Message[] };
    expect(otherRoute.items).toEqual([]);

    const one = await h().cli(['list', '--limit', '1', '--json']);
    const first = JSON.parse(one.stdout) as { items: Message[]; nextCursor?: string };
    expect(first.items).toHaveLength(1);
    expect(first.nextCursor).toBe(first.items[0].id);
    const next = JSON.parse((await h().cli(['list', '--limit', '1', '--cursor', first.nextCursor!, '--json'])).stdout) as { items: Message[] };
    expect(next.items[0].id).not.toBe(first.items[0].id);
  });

  it('list prints an aligned table with the columns, and the next cursor on stderr', async () => {
    const out = await h().cli(['list', '--limit', '2', '--key', READ_KEY]);
    expect(out.code).toBe(0);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +STATUS +ROUTE +TO +CREATED +UPDATED$/);
    expect(lines).toHaveLength(3);
    // Aligned: every row's STATUS cell starts where the heading's does.
    const at = lines[0].indexOf('STATUS');
    for (const row of lines.slice(1)) expect(row.slice(at)).toMatch(/^delivered +default +sms:\+1555/);
    expect(out.stderr).toMatch(/^more: add --cursor [0-9A-Z]{26}\n$/);
  });

  it('refusals and mistakes are one line on stderr with a non-zero exit, and the key is never printed', async () => {
    const cases: { argv: string[]; env: Record<string, string>; code: number; line: RegExp }[] = [
      { argv: ['get', '01ARZ3NDEKTSV4RRFFQ69G5FAV'], env: {}, code: 1, line: /^switchboard get: GET \/v1\/messages\/01ARZ3NDEKTSV4RRFFQ69G5FAV refused \(404 not_found\): message 01ARZ3NDEKTSV4RRFFQ69G5FAV does not exist$/ },
      { argv: ['list'], env: { SWITCHBOARD_API_KEY: 'wrong-key-0123456789' }, code: 1, line: /^switchboard list: GET \/v1\/messages refused \(401 [a-z_]+\)/ },
      { argv: ['send', '--to', 'sms=+15551234567', '--text', 'x'], env: { SWITCHBOARD_API_KEY: READ_KEY }, code: 1, line: /^switchboard send: POST \/v1\/messages refused \(403 [a-z_]+\)/ },
      { argv: ['send', '--to', 'sms=12', '--text', 'x'], env: {}, code: 1, line: /^switchboard send: POST \/v1\/messages refused \(400 validation_failed\)/ },
      { argv: ['list', '--status', 'lost'], env: {}, code: 1, line: /^switchboard list: GET \/v1\/messages refused \(400 validation_failed\): status must be one of/ },
      { argv: ['list'], env: { SWITCHBOARD_API_KEY: '' }, code: 2, line: /^switchboard list: no API key: pass --key or set SWITCHBOARD_API_KEY$/ },
      { argv: ['list'], env: { SWITCHBOARD_URL: '' }, code: 2, line: /^switchboard list: no gateway URL/ },
      { argv: ['list', '--bogus'], env: {}, code: 2, line: /^switchboard list: Unknown option '--bogus' \(see switchboard list --help\)$/ },
      { argv: ['get'], env: {}, code: 2, line: /^switchboard get: which message\?/ },
      { argv: ['send', '--text', 'x'], env: {}, code: 2, line: /^switchboard send: no recipient/ },
      { argv: ['send', '--to', 'pager=1', '--text', 'x'], env: {}, code: 2, line: /^switchboard send: --to pager=1: the channel must be one of/ },
      { argv: ['send', '--to', '+15551234567', '--body', '/nonexistent.json'], env: {}, code: 1, line: /^switchboard send: --body \/nonexistent\.json: ENOENT$/ },
      { argv: ['frobnicate'], env: {}, code: 2, line: /^switchboard: unknown command frobnicate; run switchboard --help for the list$/ },
    ];
    for (const c of cases) {
      const got = await h().cli(c.argv, c.env);
      expect({ argv: c.argv, code: got.code, stdout: got.stdout }).toEqual({ argv: c.argv, code: c.code, stdout: '' });
      const [line, ...rest] = got.stderr.split('\n');
      expect(rest).toEqual(['']);
      expect(line).toMatch(c.line);
      expect(got.stderr).not.toMatch(/\n\s+at /);
      expect(got.stderr).not.toContain(API_KEY);
    }
  });

  it('an unreachable URL is one line naming it, exit 1', async () => {
    const closed = await closedPort();
    const got = await h().cli(['list'], { SWITCHBOARD_URL: `http://127.0.0.1:${closed}` });
    expect(got).toEqual({ code: 1, stdout: '', stderr: `switchboard list: cannot reach the gateway at http://127.0.0.1:${closed}: ECONNREFUSED\n` });
  });

  it('flags win over the environment for the URL and the key', async () => {
    const got = await h().cli(['list', '--url', h().url, '--key', API_KEY, '--json'], { SWITCHBOARD_URL: `http://127.0.0.1:${await closedPort()}`, SWITCHBOARD_API_KEY: 'wrong-key-0123456789' });
    expect(got.code).toBe(0);
    expect(JSON.parse(got.stdout).items.length).toBeGreaterThan(0);
  });
});
