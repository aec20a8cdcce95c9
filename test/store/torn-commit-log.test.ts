import { mkdtempSync, readdirSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createIdFactory } from '../../src/ids.js';
import { DELIVERING_SMS, startGateway } from '../helpers/gateway.js';
import { crashLeftovers, openStore } from './helpers.js';

describe('a start after a crash that cut the last commit short', () => {
  it('logs that the commit was dropped, naming its files, and starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-torn-log-'));
    const data = join(dir, 'data');
    const store = await openStore(data);
    const id = createIdFactory()(Date.now());
    store.inbound.put({ id, instance: 'x', channel: 'sms', from: '+1', to: '+2', text: 'hi', providerMessageId: 'p1', receivedAt: new Date().toISOString() });
    await store.commit();
    await store.close();
    // Its marker is on disk, half of its bytes in the hour's file are not.
    const [segment] = readdirSync(join(data, 'inbound'), { recursive: true }).map(String).filter((f) => f.endsWith('.jsonl')).map((f) => join(data, 'inbound', f));
    truncateSync(segment, Math.floor(statSync(segment).size / 2));
    crashLeftovers(data);

    const gw = await startGateway(DELIVERING_SMS, { dir });
    try {
      const warned = gw.logs.map((l) => JSON.parse(l) as { level: string; msg: string; files?: string[] }).find((l) => l.msg.startsWith('store: the last commit'));
      expect(warned).toMatchObject({ level: 'warn', files: [`inbound/${segment.split('/inbound/')[1].replace('.jsonl', '')}`] });
      expect(statSync(segment).size).toBe(0);
      expect(await gw.app.store.inbound.get(id)).toBeUndefined();
    } finally {
      await gw.close();
    }
  });
});
