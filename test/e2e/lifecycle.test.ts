import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { killDaemonsAfterEach, spawnDaemon, type Daemon } from '../helpers/daemon.js';
import { API_KEY, configText, eventually, fallbackDaemonConfig } from '../helpers/gateway.js';
import { postHeaders, rawConnect } from './raw-http.js';

const BODY = fallbackDaemonConfig('300ms');

const HANGING_PLUGIN = `export default {
  name: 'hang',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  channels: () => ['sms'],
  create: () => ({ send: () => new Promise(() => {}) }),
};
`;

const MESSAGE = JSON.stringify({ route: 'default', to: { phone: '+15551230009' }, content: { text: 'hello there' } });

/** Every file under `dir` with its size, mtime and content hash. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    const st = statSync(path);
    out[name] = st.isDirectory() ? 'dir' : `${st.size} ${st.mtimeMs} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
  }
  return out;
}

describe('the daemon process: bind first, slow clients, graceful stop', () => {
  const { daemons, cleanups } = killDaemonsAfterEach();

  function setup(yaml: string): { dir: string; file: string } {
    const dir = mkdtempSync(join(tmpdir(), 'sb-lifecycle-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, yaml);
    return { dir, file };
  }
  async function start(file: string): Promise<Daemon> {
    const d = await spawnDaemon(file);
    daemons.push(d);
    return d;
  }

  it('a second daemon on a taken port exits 1 with a clear message and leaves the store untouched', async () => {
    // A send that never returns: killed during it, the next start must mark the attempt unknown — a write.
    const { dir, file } = setup(configText(`
plugins:
  hang: { path: ./hang.mjs }
providers:
  slow: { plugin: hang }
routes:
  default:
    steps:
      - { channel: sms, providers: [slow], until: delivered, within: 300ms }
`));
    writeFileSync(join(dir, 'hang.mjs'), HANGING_PLUGIN);
    const first = await start(file);
    const headers = { 'x-api-key': API_KEY, 'content-type': 'application/json' };
    const res = await fetch(`${first.url}/v1/messages`, { method: 'POST', headers, body: MESSAGE });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await eventually(async () => {
      const m = (await (await fetch(`${first.url}/v1/messages/${id}`, { headers })).json()) as { attempts: { status: string }[] };
      expect(m.attempts.map((a) => a.status)).toEqual(['sending']);
    });
    first.child.kill('SIGKILL');
    await first.exited;
    daemons.length = 0;
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => holder.close(() => resolve())));
    const port = (holder.address() as { port: number }).port;
    writeFileSync(file, readFileSync(file, 'utf8').replace('port: 0', `port: ${port}`));
    const before = snapshot(join(dir, 'data'));

    const child = spawn(process.execPath, ['--import', 'tsx', join(process.cwd(), 'src', 'main.ts'), 'start', '--config', file], {
      env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += String(c)));
    child.stdout.on('data', (c) => (stderr += String(c)));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));

    expect(code).toBe(1);
    expect(snapshot(join(dir, 'data'))).toEqual(before);
    expect(stderr).toMatch(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE .*the store was not opened`));
  });

  it('a second daemon on the same store folder (another port) is refused with the holder\'s pid, in one line', async () => {
    const { file } = setup(BODY);
    const first = await start(file);
    const other = file.replace(/gateway\.yaml$/, 'second.yaml');
    writeFileSync(other, readFileSync(file, 'utf8'));
    const child = spawn(process.execPath, ['--import', 'tsx', join(process.cwd(), 'src', 'main.ts'), 'start', '--config', other], {
      env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (c) => (output += String(c)));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(output.trim()).toBe(`switchboard: store ${join(file, '..', 'data')} is in use by pid ${first.child.pid} (another switchboard?)`);
    // The first keeps serving.
    expect((await fetch(`${first.url}/-/ready`)).status).toBe(200);
  });

  it('a client that sends headers and then dribbles its body is cut off at server.requestTimeout', async () => {
    const { file } = setup(BODY.replace('port: 0 }', 'port: 0, requestTimeout: 1s, headersTimeout: 1s }'));
    const d = await start(file);
    const conn = await rawConnect(d.url);
    conn.socket.write(postHeaders('/v1/messages', MESSAGE, { 'x-api-key': API_KEY }));
    await conn.waitFor(/100 Continue/);
    const since = performance.now();
    const dribble = setInterval(() => conn.socket.writable && conn.socket.write(' '), 100);
    cleanups.push(() => clearInterval(dribble));
    await conn.waitFor(/HTTP\/1\.1 408/);
    await conn.closed;
    const waited = performance.now() - since;
    expect(waited).toBeGreaterThan(800);
    expect(waited).toBeLessThan(4000);
  });

  it('SIGTERM during a slow upload: no new connections, the upload is still answered 202, then exit 0', async () => {
    const { file } = setup(BODY);
    const d = await start(file);
    const conn = await rawConnect(d.url);
    conn.socket.write(postHeaders('/v1/messages', MESSAGE, { 'x-api-key': API_KEY }));
    await conn.waitFor(/100 Continue/);
    conn.socket.write(MESSAGE.slice(0, 20));

    d.child.kill('SIGTERM');
    await eventually(() => expect(d.lines.join('\n')).toContain('shutting down'), 10_000);
    await expect(fetch(`${d.url}/-/healthy`)).rejects.toThrow();

    conn.socket.write(MESSAGE.slice(20));
    await conn.waitFor(/HTTP\/1\.1 202[\s\S]*"status":"accepted"/);
    expect(await d.exited).toBe(0);
    expect(d.lines.join('\n')).toContain('"msg":"stopped"');
  });
});
