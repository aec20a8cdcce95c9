import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkCommand } from '../../src/cli/check.js';
import { configText, startGateway } from '../helpers/gateway.js';

// Records what it was built with and whether it was closed, in a file beside the config.
const RECORDING_PLUGIN = `
import { appendFileSync } from 'node:fs';
export default {
  name: 'recording',
  optionsSchema: { type: 'object', additionalProperties: false, properties: { log: { type: 'string' } }, required: ['log'] },
  channels: () => ['sms'],
  create(options, deps) {
    appendFileSync(options.log, 'create ' + Object.keys(deps).sort().join(',') + '\\n');
    return { send: async () => ({ providerMessageId: 'x', status: 'queued' }), close: async () => appendFileSync(options.log, 'close\\n') };
  },
};
`;

const yaml = (log: string) => configText(`
plugins:
  recording: { path: ./recording.mjs }
providers:
  rec: { plugin: recording, log: "${log}" }
routes:
  default:
    steps:
      - { channel: sms, providers: [rec], until: sent, within: 5s }
`);

describe('switchboard check', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const setup = (text: (log: string) => string) => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-check-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'recording.mjs'), RECORDING_PLUGIN);
    const log = join(dir, 'plugin.log');
    writeFileSync(log, '');
    writeFileSync(join(dir, 'gateway.yaml'), text(log));
    return { dir, log, file: join(dir, 'gateway.yaml') };
  };
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { env: {}, out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) } };
  };

  it('builds providers with the deps start gives them, and closes them', async () => {
    const checked = setup(yaml);
    const { out, io: checkIo } = io();
    expect(await checkCommand(checked.file, checkIo)).toBe(0);
    expect(out.join('')).toMatch(/: ok \(1 providers, 1 routes/);
    const [created, closed] = readFileSync(checked.log, 'utf8').trim().split('\n');
    expect(closed).toBe('close');

    const started = setup(yaml);
    const gw = await startGateway(readFileSync(started.file, 'utf8'), { dir: started.dir });
    await gw.close(true);
    expect(readFileSync(started.log, 'utf8').split('\n')[0]).toBe(created);
  });

  it('refuses what start would crash on: a maintenance schedule node-cron cannot run', async () => {
    const { file } = setup((log) => yaml(log).replace('store: { path: ./data }', 'store: { path: ./data, maintenance: "every night" }'));
    const { err, io: checkIo } = io();
    expect(await checkCommand(file, checkIo)).toBe(1);
    expect(err.join('')).toMatch(/^gateway\.yaml:\d+:\d+: store\.maintenance: "every night" is not a cron schedule/);
  });
});
