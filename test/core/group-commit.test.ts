import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configText, startGateway } from '../helpers/gateway.js';

const YAML = configText(`
providers:
  sms: { plugin: mock, channels: [sms], outcome: none }
routes:
  default:
    steps:
      - { channel: sms, providers: [sms], until: delivered, within: 1h }
`);

function idsOnDisk(dir: string): Set<string> {
  const ids = new Set<string>();
  const root = join(dir, 'data', 'messages');
  for (const day of readdirSync(root)) {
    for (const f of readdirSync(join(root, day))) {
      for (const line of readFileSync(join(root, day, f), 'utf8').split('\n')) if (line) ids.add(line.slice(0, 26));
    }
  }
  return ids;
}

describe('group commit', () => {
  it('many concurrent accepts share few file writes, and each resolves only once its message is on disk', async () => {
    const gw = await startGateway(YAML, { start: false });
    try {
      const before = { ...gw.app.store.stats };
      const n = 200;
      const seenOnDisk: boolean[] = [];
      await Promise.all(Array.from({ length: n }, async () => {
        const { message } = await gw.app.engine.accept({ route: 'default', to: { sms: '+15551234567' }, content: { text: 'x' } });
        // Checked synchronously at the moment of acknowledgement.
        seenOnDisk.push(idsOnDisk(gw.dir).has(message.id));
      }));
      expect(seenOnDisk).toHaveLength(n);
      expect(seenOnDisk.every(Boolean)).toBe(true);
      const writes = gw.app.store.stats.fileWrites - before.fileWrites;
      const commits = gw.app.store.stats.commits - before.commits;
      expect(writes).toBeGreaterThan(0);
      expect(writes).toBeLessThan(n / 10);
      expect(commits).toBeLessThan(n / 10);
      // Compact JSON: one line per stored version, no pretty-printing.
      const root = join(gw.dir, 'data', 'messages');
      const day = readdirSync(root)[0];
      const lines = readFileSync(join(root, day, readdirSync(join(root, day))[0]), 'utf8').trim().split('\n');
      expect(lines).toHaveLength(n);
    } finally {
      await gw.close();
    }
  });
});
