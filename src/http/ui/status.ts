import type { Metrics } from '../../metrics/metrics.js';
import type { Runtime } from '../../runtime/runtime.js';
import { packageVersion } from '../../version.js';

/** One configured provider instance and how its sends have gone since the process started. */
export interface ProviderStatus {
  name: string;
  plugin: string;
  channels: readonly string[];
  /** Send calls made (`switchboard_provider_request_duration_seconds_count{operation="send"}`). */
  sends: number;
  /** Send calls that failed, by reason (`switchboard_provider_errors_total`). */
  errors: Record<string, number>;
  /** `failed` and `undelivered` receipts (`switchboard_attempts_total`). */
  failedReceipts: number;
  /** (errors + failed receipts) / sends, at most 1; `null` before the first send. */
  errorRate: number | null;
}

export interface GatewayStatus {
  version: string;
  configHash: string;
  reload: { successful: boolean; lastSuccessAt: string | null; restartRequired: boolean };
  heldMessages: number;
  deadLetters: number;
  providers: ProviderStatus[];
}

type Values = Array<{ labels: Partial<Record<string, string | number>>; value: number; metricName?: string }>;

const FAILED_RECEIPTS = new Set(['failed', 'undelivered']);

function sum(values: Values, keep: (labels: Values[number]['labels'], metricName?: string) => boolean): number {
  return values.reduce((n, v) => (keep(v.labels, v.metricName) ? n + v.value : n), 0);
}

async function single(metric: { get(): Promise<{ values: Values }> }): Promise<number> {
  return (await metric.get()).values[0]?.value ?? 0;
}

/**
 * What the status page shows, read from the metrics the daemon already keeps (counts since this
 * process started) and the serving runtime; no store scan, so it is cheap to poll.
 */
export async function gatewayStatus(runtime: Runtime, metrics: Metrics): Promise<GatewayStatus> {
  const [durations, errors, attempts] = await Promise.all([metrics.providerDuration.get(), metrics.providerErrors.get(), metrics.attempts.get()]);
  const { config, plugins } = runtime.loaded;
  const providers = Object.entries(config.providers).map(([name, spec]): ProviderStatus => {
    const { plugin: _plugin, rateLimit: _limit, senders: _senders, ...options } = spec;
    const sends = sum(durations.values, (l, metric) => metric?.endsWith('_count') === true && l.provider === name && l.operation === 'send');
    const byReason: Record<string, number> = {};
    for (const v of errors.values) if (v.labels.provider === name && v.value > 0) byReason[String(v.labels.reason)] = v.value;
    const failed = Object.values(byReason).reduce((a, b) => a + b, 0);
    const failedReceipts = sum(attempts.values, (l) => l.provider === name && FAILED_RECEIPTS.has(String(l.status)));
    return {
      name,
      plugin: spec.plugin,
      channels: plugins.get(name)?.channels(options as never) ?? [],
      sends,
      errors: byReason,
      failedReceipts,
      errorRate: sends > 0 ? Math.min(1, (failed + failedReceipts) / sends) : null,
    };
  });
  const lastSuccess = await single(metrics.reloadTimestamp);
  return {
    version: packageVersion(),
    configHash: runtime.loaded.hash,
    reload: {
      successful: (await single(metrics.reloadSuccess)) === 1,
      lastSuccessAt: lastSuccess > 0 ? new Date(lastSuccess * 1000).toISOString() : null,
      restartRequired: (await single(metrics.restartRequired)) === 1,
    },
    heldMessages: await single(metrics.held),
    deadLetters: await single(metrics.deadLetters),
    providers,
  };
}
