/**
 * The shipped Prometheus alert rules and Grafana dashboard (contrib/): promtool accepts the rules
 * and every dashboard query, and every metric they name is on a live gateway's /metrics.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { API_KEY, eventually, fallbackDaemonConfig, startGateway, type TestGateway } from '../helpers/gateway.js';

const RULES = 'contrib/prometheus/alerts.yml';
const DASHBOARD = 'contrib/grafana/switchboard.json';

interface Panel {
  title: string;
  targets: { expr: string }[];
}
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[]; templating: { list: { definition?: string }[] } };
const rules = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules);
const dashboardExprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
const namesIn = (expr: string) => expr.match(/\bswitchboard_[a-z_]+\b/g) ?? [];

function promtool(args: string[], input?: string) {
  const run = spawnSync('promtool', args, { encoding: 'utf8', input });
  if (run.error) throw new Error(`promtool is needed (Debian: apt-get install prometheus; .ci/run does): ${run.error.message}`);
  return run;
}

describe('contrib: alert rules and dashboard', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    // WhatsApp unanswered for 300 ms, then SMS: a fallback, so the histograms and counters have samples.
    gw = await startGateway(fallbackDaemonConfig('300ms'));
  });
  afterAll(() => gw.close());

  it('promtool checks the rules, with the alerts the operators asked for', () => {
    const run = promtool(['check', 'rules', RULES]);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining([
      'SwitchboardReloadFailed', 'SwitchboardDeadLettersGrowing', 'SwitchboardFallbackRateHigh',
      'SwitchboardProviderErrorRateHigh', 'SwitchboardSchedulerLagHigh', 'SwitchboardWebhookSignaturesRejected',
    ]));
  });

  it('every dashboard query is valid PromQL (checked by promtool as recording rules)', () => {
    const asRules = {
      groups: [{
        name: 'dashboard',
        rules: dashboardExprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr: expr.replaceAll('$__rate_interval', '5m').replaceAll('$instance', '.*') })),
      }],
    };
    const file = join(mkdtempSync(join(tmpdir(), 'sb-dash-')), 'dashboard-rules.yml');
    writeFileSync(file, JSON.stringify(asRules));
    const run = promtool(['check', 'rules', file]);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(dashboardExprs.length).toBeGreaterThanOrEqual(15);
  });

  it('names only metrics that a gateway exposes on /metrics after a fallback, an exposition promtool finds clean', async () => {
    await gw.request.post('/v1/messages').set('x-api-key', API_KEY).send({ route: 'default', to: { phone: '+15551230001' }, content: { text: 'x' } }).expect(202);
    const text = await eventually(async () => {
      const body = (await gw.request.get('/metrics').expect(200)).text;
      expect(body).toMatch(/switchboard_fallbacks_total\{[^}]*\} 1/);
      return body;
    });
    const exposed = new Set<string>();
    for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      exposed.add(name);
      if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exposed.add(name + suffix);
    }
    // What Prometheus' own linter says of the exposition, and the usual build info.
    const lint = promtool(['check', 'metrics'], text);
    expect(lint.status, lint.stdout + lint.stderr).toBe(0);
    expect(lint.stdout + lint.stderr).toBe('');
    expect(text).toMatch(/^switchboard_build_info\{version="\d+\.\d+\.\d+[^"]*",nodejs="[\d.]+"\} 1$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    const used = new Set([...rules.map((r) => r.expr), ...dashboardExprs, ...dashboard.templating.list.map((t) => t.definition ?? '')].flatMap(namesIn));
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((name) => !exposed.has(name))).toEqual([]);
  });
});
