import { describe, expect, it } from 'vitest';
import { API_KEY, eventually, fallbackDaemonConfig } from '../helpers/gateway.js';
import { useCliGateway } from './harness.js';

// WhatsApp that never answers within 300ms, then SMS that delivers: a fallback to watch live.
// `waiting` stays open until canceled, so a test decides when it ends.
const YAML = `${fallbackDaemonConfig('300ms')}  waiting:
    steps:
      - { channel: whatsapp, providers: [wa], until: delivered, within: 1m }
`;

/** The STATUS column of tail's lines (time, id, event, status, cause, two spaces apart). */
const statuses = (text: string): string[] => text.trimEnd().split('\n').map((l) => l.split(/ {2,}/)[3]);

const SEND = ['send', '--to', 'phone=+15551234567', '--text', 'watch me', '--json'];

describe('switchboard tail', () => {
  const h = useCliGateway(YAML, 'each');

  it('prints a new message and each status change, the fallback with its cause, and stops when asked', async () => {
    const stop = new AbortController();
    let live = '';
    const tail = h().cli(['tail', '--interval', '50ms'], {}, { signal: stop.signal, onOut: (t) => (live += t) });
    const { id } = JSON.parse((await h().cli(SEND)).stdout) as { id: string };
    await eventually(() => expect(statuses(live)).toContain('delivered'), 10_000);
    stop.abort();
    const got = await tail;
    const { stdout } = got;
    expect(got).toMatchObject({ code: 0, stderr: '' });
    const lines = stdout.trimEnd().split('\n');
    expect(lines.every((l) => l.includes(id))).toBe(true);
    const stored = (await h().gw.app.engine.get(id))!;
    // One line per history entry, in order, each with its time, event, status and cause.
    expect(lines).toHaveLength(stored.history.length);
    stored.history.forEach((e, i) => {
      expect(lines[i].startsWith(e.at)).toBe(true);
      expect(lines[i]).toContain(` ${e.event} `);
    });
    expect(stdout).toMatch(/no delivered receipt within 300ms/);
    expect(statuses(stdout)).toEqual(stored.history.map((e) => e.status ?? '-'));
  });

  it('tail ID --until delivered --json follows one message and ends by itself', async () => {
    const { id } = JSON.parse((await h().cli(SEND)).stdout) as { id: string };
    const got = await h().cli(['tail', id, '--until', 'delivered,failed', '--interval', '50ms', '--json']);
    expect(got.code).toBe(0);
    const events = got.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { id: string; status?: string; event: string });
    expect(new Set(events.map((e) => e.id))).toEqual(new Set([id]));
    expect(events.at(-1)?.status).toBe('delivered');
    expect(events.map((e) => e.status)).toContain('routing');
  });

  it('--max-events stops after that many lines', async () => {
    const { id } = JSON.parse((await h().cli(SEND)).stdout) as { id: string };
    await eventually(async () => expect((await h().gw.app.engine.get(id))!.status).toBe('delivered'));
    const got = await h().cli(['tail', id, '--max-events', '2', '--interval', '50ms']);
    expect(got.code).toBe(0);
    expect(got.stdout.trimEnd().split('\n')).toHaveLength(2);
  });

  it('says on stderr when the gateway goes away and when it is back, and keeps following', async () => {
    const { id } = JSON.parse((await h().cli([...SEND, '--route', 'waiting'])).stdout) as { id: string };
    let live = '';
    const tail = h().cli(['tail', id, '--until', 'canceled', '--interval', '50ms'], {}, { onOut: (t) => (live += t) });
    // Paused once the first lines are out, so the gateway is known to have been reached.
    await eventually(() => expect(live).not.toBe(''));
    await h().pause();
    await new Promise((r) => setTimeout(r, 250));
    await h().resume();
    await h().gw.request.post(`/v1/messages/${id}/cancel`).set('x-api-key', API_KEY).send({}).expect(200);
    const got = await tail;
    expect(got.code).toBe(0);
    expect(got.stderr).toMatch(new RegExp(`^switchboard tail: cannot reach the gateway at ${h().url.replace(/\./g, '\\.')}: ECONNREFUSED; retrying every 50ms \\(try 1\\)\n`));
    expect(got.stderr).toMatch(/\nswitchboard tail: reconnected to http:\/\/127\.0\.0\.1:\d+ after \d+ failed tr(y|ies)\n$/);
    expect(statuses(got.stdout).at(-1)).toBe('canceled');
  });

  it('a gateway never reached is one line and exit 1; --until without an id is a usage error', async () => {
    await h().pause();
    const down = await h().cli(['tail', '--interval', '50ms']);
    expect(down).toEqual({ code: 1, stdout: '', stderr: `switchboard tail: cannot reach the gateway at ${h().url}: ECONNREFUSED\n` });
    await h().resume();
    expect(await h().cli(['tail', '--until', 'delivered'])).toEqual({ code: 2, stdout: '', stderr: 'switchboard tail: --until needs the ID of the message to follow\n' });
    expect((await h().cli(['tail', '--interval', 'soon'])).code).toBe(2);
  });
});
