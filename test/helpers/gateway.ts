import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import supertest from 'supertest';
import { createApp, type App, type AppDeps } from '../../src/app.js';
import type { Clock } from '../../src/clock.js';

export const API_KEY = 'test-key-0123456789';
export const READ_KEY = 'read-only-key-0123';

/**
 * A config with one API key of every scope and a read-only key; `body` adds providers and routes,
 * `extra` more top-level sections.
 */
export function configText(body: string, extra = '', header: { server?: string; callbackSecret?: string; callbacks?: string } = {}): string {
  return `
server: ${header.server ?? '{ host: 127.0.0.1, port: 0 }'}
log: { level: debug }
api:
  keys:
    - { name: app, key: "${API_KEY}", scopes: [send, read, admin] }
    - { name: reader, key: "${READ_KEY}", scopes: [read] }
store: { path: ./data }
callbacks: { secret: "${header.callbackSecret ?? 'callback-secret-0123456789'}"${header.callbacks ? `, ${header.callbacks}` : ''} }
${extra}
${body}
`;
}

/** The providers and routes of DELIVERING_SMS, for a test that needs other top-level sections with them. */
export const DELIVERING_SMS_BODY = `
providers:
  sms: { plugin: mock, channels: [sms], outcome: delivered, after: 0s }
routes:
  default:
    steps:
      - { channel: sms, providers: [sms], until: delivered, within: 1m }
`;

/** One SMS step on a mock that delivers at once: the plainest route that sends. */
export const DELIVERING_SMS = configText(DELIVERING_SMS_BODY);

/** WhatsApp that never answers (within `waWithin`), then SMS that delivers: the default fallback, for real daemons. */
export function fallbackDaemonConfig(waWithin: string): string {
  return configText(`
providers:
  wa: { plugin: mock, channels: [whatsapp], outcome: none }
  sms: { plugin: mock, channels: [sms], outcome: delivered, after: 100ms }
routes:
  default:
    steps:
      - { channel: whatsapp, providers: [wa], until: delivered, within: ${waWithin} }
      - { channel: sms, providers: [sms], until: delivered, within: 30s }
`).replace('log: { level: debug }', 'log: { level: info }');
}

export interface TestGateway {
  app: App;
  dir: string;
  file: string;
  logs: string[];
  request: ReturnType<typeof supertest>;
  /** Stops the app; `keep` leaves the folder for a restart on the same state. */
  close(keep?: boolean): Promise<void>;
}

/** A temp folder with `gateway.yaml`, and an app built on it in process (no port, no signals). */
export async function startGateway(
  yaml: string,
  options: { env?: Record<string, string>; start?: boolean; dir?: string; clock?: Clock; builtins?: AppDeps['builtins']; inboundListeners?: AppDeps['inboundListeners']; guards?: AppDeps['guards'] } = {},
): Promise<TestGateway> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'switchboard-'));
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, yaml);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const app = await createApp({ configFile: file, env: options.env ?? {}, registry: new Registry(), logDestination: sink, clock: options.clock, builtins: options.builtins, inboundListeners: options.inboundListeners, guards: options.guards });
  if (options.start !== false) await app.start({ maintenance: false });
  return {
    app, dir, file, logs,
    request: supertest(app.http.callback()),
    async close(keep = false) {
      await app.close();
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` passes (real time, not the fake clock), for work that runs on I/O. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5000): Promise<T> {
  const start = performance.now();
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (performance.now() - start > timeoutMs) throw err;
      await new Promise((r) => setImmediate(r));
    }
  }
}

/** Waits for every handler the scheduler started and everything they committed. */
export async function settle(app: App): Promise<void> {
  for (let i = 0; i < 5; i += 1) {
    await app.scheduler.idle();
    await app.store.commit();
    await new Promise((r) => setImmediate(r));
  }
}
