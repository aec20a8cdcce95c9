/** gateway.yaml files for the bench: loopback, quiet logs, mock providers, one route per scenario. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const API_KEY = 'bench-key-0123456789abcdef';

export interface BenchConfig {
  port: number;
  dataDir: string;
  /**
   * `accepts`: route `bench` is one SMS step delivered after 1 s. `fallback`: route `bench` is
   * WhatsApp that never answers, then SMS that never answers; route `probe` is the `accepts` route
   * (to measure accepts beside pending fallbacks without adding to them).
   */
  scenario: 'accepts' | 'fallback';
  /** The WhatsApp step's wait in the fallback scenario. */
  within?: string;
  /**
   * PostgreSQL instead of the file store: the URL is read from the daemon's environment
   * (`DATABASE_URL`, as the README recommends); `lease` is `store.lease`, written only when given.
   */
  postgres?: { lease?: string };
}

const store = (c: BenchConfig) =>
  c.postgres
    ? `  kind: postgres\n  url: "\${env:DATABASE_URL}"${c.postgres.lease ? `\n  lease: ${c.postgres.lease}` : ''}`
    : `  path: ${JSON.stringify(c.dataDir)}`;

/** Writes `<dir>/gateway.yaml` and returns its path. */
export function writeConfig(dir: string, c: BenchConfig): string {
  const routes =
    c.scenario === 'accepts'
      ? `  bench:
    mode: fallback
    steps:
      - { channel: sms, providers: [mock-sms], until: delivered, within: 30s }`
      : `  bench:
    mode: fallback
    steps:
      - { channel: whatsapp, providers: [mock-wa], until: delivered, within: ${c.within ?? '60s'} }
      - { channel: sms, providers: [mock-sms-silent], until: delivered, within: 1h }
  probe:
    mode: fallback
    steps:
      - { channel: sms, providers: [mock-sms], until: delivered, within: 30s }`;
  const yaml = `# written by bench/config.ts
server: { host: 127.0.0.1, port: ${c.port} }
log: { level: warn }
api:
  keys:
    - { name: bench, key: "${API_KEY}", scopes: [send, read, admin] }
store:
${store(c)}
  retention: 31d
callbacks:
  secret: bench-callback-secret-0123456789
providers:
  mock-wa: { plugin: mock, channels: [whatsapp], outcome: none }
  mock-sms: { plugin: mock, channels: [sms, mms], outcome: delivered, after: 1s }
  mock-sms-silent: { plugin: mock, channels: [sms], outcome: none }
routes:
${routes}
`;
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, yaml);
  return file;
}

/** The request body every load run sends, to the daemon and to the baseline alike. */
export const sendBody = (route = 'bench') => JSON.stringify({ route, to: { phone: '+15551234567' }, content: { text: 'Your code is 424242. It expires in 10 minutes.' } });

/**
 * The first lines every scenario's gateway.yaml shares: loopback `port`, quiet logs, the bench's
 * API key, the file store in `<dir>/data`, a callback secret; `by` names the file that wrote it.
 */
export function fileStoreHeader(by: string, dir: string, port: number): string {
  return `# written by ${by}
server: { host: 127.0.0.1, port: ${port} }
log: { level: warn }
api:
  keys:
    - { name: bench, key: "${API_KEY}", scopes: [send, read, admin] }
store:
  path: ${JSON.stringify(join(dir, 'data'))}
callbacks:
  secret: bench-callback-secret-0123456789
`;
}

