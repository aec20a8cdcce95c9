/**
 * Issue 10's figure: SNS notifications verified (signature v1, certificate cached) and ingested per
 * second, ÷ the mock plugin's status webhook in the same round. Both carry delivery receipts for
 * provider message ids nobody sent, so each is verified, parsed and stored as a parked receipt —
 * the same store work; the difference is SNS's envelope and its RSA signature check. The SNS fake
 * (test/fakes/aws/sns-fake.ts) serves the certificate from the bench's process; every envelope is
 * signed before the load starts, so signing costs the load nothing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSnsFake, type SnsFake } from '../test/fakes/aws/sns-fake.js';
import { fileStoreHeader } from './config.js';
import { runLoad, type LoadSummary } from './consent-load.js';
import { freePort, startChild, type Child } from './procs.js';
import { ranBy, type SectionMeta } from './report-sections.js';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:switchboard-bench';
const MOCK_TOKEN = 'bench-mock-token';

export interface SnsRound {
  round: number;
  mock: LoadSummary;
  sns: LoadSummary;
  ratio: number;
}

export interface SnsSummary {
  settings: { rounds: number; connections: number; durationSec: number; signed: number };
  rounds: SnsRound[];
  ratio: number;
  certDownloads: number;
}

async function startDaemon(dir: string, daemon: { cmd: string; args: string[] }, sns: SnsFake): Promise<Child> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, `${fileStoreHeader('bench/sns.ts', dir, port)}providers:
  m: { plugin: mock, channels: [sms], webhookToken: "${MOCK_TOKEN}" }
  ses:
    plugin: ses
    region: us-east-1
    accessKeyId: AKIABENCHBENCHBENCH0
    secretAccessKey: bench-secret
    endpoint: "http://127.0.0.1:9"
    from: "Bench <bench@example.com>"
    sns: { topicArns: ["${TOPIC}"], signingCertUrlPattern: '${sns.certUrlPattern}', maxAge: 1h }
routes:
  default:
    steps:
      - { channel: sms, providers: [m], until: delivered, within: 1m }
`);
  return startChild({ name: 'sns', cmd: daemon.cmd, args: [...daemon.args, 'start', '--config', file], cwd: dir, port, readyPath: '/-/ready', logFile: join(dir, 'daemon.log') });
}

/** `rounds` rounds of the mock status webhook then SNS notifications, each `durationSec` at `connections`, on one daemon. */
export async function runSnsBench(o: { dir: string; daemon: { cmd: string; args: string[] }; rounds: number; connections: number; durationSec: number; signed: number; log: (l: string) => void }): Promise<SnsSummary> {
  const sns = await startSnsFake();
  const rounds: SnsRound[] = [];
  try {
    o.log(`sns: signing ${o.signed} notifications`);
    const envelopes = Array.from({ length: o.signed }, (_, i) => {
      const envelope = sns.notification(TOPIC, { eventType: 'Delivery', mail: { messageId: `bench-ses-${i}`, timestamp: new Date().toISOString() }, delivery: { smtpResponse: '250 OK' } });
      return { body: sns.body(envelope), headers: sns.headers(envelope) };
    });
    const headersOf = new Map(envelopes.map((e) => [e.body, e.headers]));
    const daemon = await startDaemon(o.dir, o.daemon, sns);
    try {
      let next = 0;
      for (let r = 1; r <= o.rounds; r += 1) {
        const mock = await runLoad({
          port: daemon.port, path: '/webhooks/m/status', connections: o.connections, durationMs: o.durationSec * 1000, headers: { 'x-mock-token': MOCK_TOKEN },
          body: (i) => JSON.stringify({ messageId: `bench-mock-${r}-${i}`, status: 'delivered' }),
        });
        const start = next;
        const signedLoad = await runLoad({
          port: daemon.port, path: '/webhooks/ses/sns', connections: o.connections, durationMs: o.durationSec * 1000,
          amount: o.signed - start, body: (i) => envelopes[start + i].body, headersOf: (body) => headersOf.get(body)!,
        });
        next += signedLoad.sent;
        rounds.push({ round: r, mock, sns: signedLoad, ratio: signedLoad.perSec / mock.perSec });
        o.log(`sns round ${r}: mock status ${mock.perSec.toFixed(0)}/s, SNS ${signedLoad.perSec.toFixed(0)}/s (${signedLoad.failed} failed)`);
      }
    } finally {
      await daemon.stop();
    }
    const ratios = rounds.map((r) => r.ratio).sort((a, b) => a - b);
    return { settings: { rounds: o.rounds, connections: o.connections, durationSec: o.durationSec, signed: o.signed }, rounds, ratio: ratios[Math.floor(ratios.length / 2)], certDownloads: sns.certDownloads() };
  } finally {
    await sns.close();
  }
}

const n0 = (x: number) => Math.round(x).toLocaleString('en-US');

export function renderSns(s: SnsSummary, m: SectionMeta): string {
  const verdict = s.ratio >= 0.5 ? '**pass**' : '**FAIL**';
  return [
    '## SNS notifications (AWS, issue 10)',
    '',
    `_${ranBy(m, 'sns')} on ${m.date} against \`${m.commit}\`; load average ${m.loadAvgStart} at the start, ${m.loadAvgEnd} at the end. One daemon (built JavaScript, file store) with a mock instance and an SES instance whose SNS options trust the fake's certificate URL; the SNS fake runs in the bench's process. ${s.settings.rounds} rounds of ${s.settings.durationSec} s at ${s.settings.connections} connections; ${n0(s.settings.signed)} notifications signed (SignatureVersion 1) before the load._`,
    '',
    '| What | Measured | Target | Verdict |',
    '|---|---|---|---|',
    `| SNS notifications verified and ingested per second ÷ the mock plugin's status webhook, same round (median) | ${s.ratio.toFixed(2)} (rounds ${s.rounds.map((r) => r.ratio.toFixed(2)).join(', ')}) | ≥ 0.5 | ${verdict} |`,
    '',
    '| Round | Mock status webhooks/s | SNS notifications/s | SNS p50 / p99 ms | Refused |',
    '|---|---|---|---|---|',
    ...s.rounds.map((r) => `| ${r.round} | ${n0(r.mock.perSec)} | ${n0(r.sns.perSec)} | ${r.sns.latencyP50Ms.toFixed(0)} / ${r.sns.latencyP99Ms.toFixed(0)} | ${r.sns.failed} |`),
    '',
    `The signing certificate was downloaded ${s.certDownloads} time(s) in all: it is cached per URL, so each notification costs one RSA-SHA1 verification, not a fetch.`,
    '',
  ].join('\n');
}
