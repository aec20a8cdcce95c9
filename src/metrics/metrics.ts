import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import { packageVersion } from '../version.js';

/**
 * Every Switchboard metric, created on the registry passed in (tests use a fresh one). Labels are
 * names from the config and small enums — never phone numbers or email addresses.
 *
 * @example const metrics = createMetrics(new Registry());
 */
export function createMetrics(registry: Registry, options: { defaults?: boolean } = {}) {
  const registers = [registry];
  if (options.defaults !== false) {
    // Unprefixed, as stock Node.js dashboards expect them; less three gauges named `_total`
    // (prom-client's), which `promtool check metrics` rejects: a `_total` is a counter.
    collectDefaultMetrics({ register: registry });
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  }
  // The usual `_build_info` shape: constant 1, the facts in labels, for joins and dashboards.
  new Gauge({ name: 'switchboard_build_info', help: 'Always 1; the running version and Node.js in labels.', labelNames: ['version', 'nodejs'], registers })
    .set({ version: packageVersion(), nodejs: process.versions.node }, 1);
  // Gauges read at scrape time; the app points these at the scheduler and the consent policy.
  const sources = {
    pendingTimers: () => 0,
    held: (): number | Promise<number> => 0,
    sendsWaiting: (): ReadonlyMap<string, number> => new Map(),
    suppressions: (): ReadonlyMap<string, number> | Promise<ReadonlyMap<string, number>> => new Map(),
  };
  return {
    registry,
    sources,
    messagesAccepted: new Counter({ name: 'switchboard_messages_accepted_total', help: 'Messages accepted (durably stored) by route.', labelNames: ['route'], registers }),
    messages: new Counter({ name: 'switchboard_messages_total', help: 'Messages that reached an outcome, by route and outcome.', labelNames: ['route', 'outcome'], registers }),
    attempts: new Counter({ name: 'switchboard_attempts_total', help: 'Attempt status changes by channel, provider instance and normalized status.', labelNames: ['channel', 'provider', 'status'], registers }),
    fallbacks: new Counter({ name: 'switchboard_fallbacks_total', help: 'Moves from one step to the next, by route, channels and reason.', labelNames: ['route', 'from_channel', 'to_channel', 'reason'], registers }),
    timeToDelivery: new Histogram({ name: 'switchboard_time_to_delivery_seconds', help: 'From acceptance to the first delivered (or read) receipt.', labelNames: ['route', 'channel'], buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600], registers }),
    providerDuration: new Histogram({ name: 'switchboard_provider_request_duration_seconds', help: 'Provider API call duration.', labelNames: ['provider', 'operation'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers }),
    providerOperationFailures: new Counter({ name: 'switchboard_provider_operation_failures_total', help: 'Provider requests that are not sends (token fetches, media uploads) that failed, by instance and operation; their count is the duration histogram\'s.', labelNames: ['provider', 'operation'], registers }),
    providerErrors: new Counter({ name: 'switchboard_provider_errors_total', help: 'Failed provider calls by reason (client, server, timeout, auth, rate_limited).', labelNames: ['provider', 'reason'], registers }),
    webhooks: new Counter({ name: 'switchboard_webhooks_total', help: 'Provider webhook calls by instance, kind and result.', labelNames: ['provider', 'kind', 'result'], registers }),
    inbound: new Counter({ name: 'switchboard_inbound_messages_total', help: 'Inbound messages stored, by instance and channel.', labelNames: ['provider', 'channel'], registers }),
    inboundRules: new Counter({ name: 'switchboard_inbound_rules_matched_total', help: 'Inbound messages matched by each inbound rule (its index in the config).', labelNames: ['rule'], registers }),
    bridged: new Counter({ name: 'switchboard_bridged_messages_total', help: 'Messages through bridges, by bridge, direction (to_contact_center, to_customer) and result.', labelNames: ['bridge', 'direction', 'result'], registers }),
    forwards: new Counter({ name: 'switchboard_inbound_forwards_total', help: 'Inbound messages forwarded by inbound rules (signed posts), by result.', labelNames: ['result'], registers }),
    callbacks: new Counter({ name: 'switchboard_status_callbacks_total', help: 'Outbound status callback deliveries by result.', labelNames: ['result'], registers }),
    timersPending: new Gauge({ name: 'switchboard_scheduler_pending_timers', help: 'Durable timers waiting to fire.', registers, collect() { this.set(sources.pendingTimers()); } }),
    httpDuration: new Histogram({ name: 'switchboard_http_request_duration_seconds', help: 'HTTP requests served, by method, route template and status class (2xx…5xx).', labelNames: ['method', 'route', 'status_class'], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers }),
    timerLag: new Histogram({ name: 'switchboard_scheduler_lag_seconds', help: 'How late timers fired.', labelNames: ['kind'], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5], registers }),
    sendsWaiting: new Gauge({
      name: 'switchboard_provider_sends_waiting',
      help: 'Sends waiting for their provider instance\'s rateLimit (stored timers), by instance.',
      labelNames: ['provider'],
      registers,
      collect() {
        this.reset();
        for (const [provider, n] of sources.sendsWaiting()) this.set({ provider }, n);
      },
    }),
    held: new Gauge({ name: 'switchboard_held_messages', help: 'Messages held (waiting for a consent window).', registers, async collect() { this.set(await sources.held()); } }),
    consentOptIns: new Counter({ name: 'switchboard_consent_optin_templates_total', help: 'Opt-in templates sent by consent policies.', labelNames: ['policy'], registers }),
    consentReleases: new Counter({ name: 'switchboard_consent_releases_total', help: 'Held messages released by the user\'s reply.', labelNames: ['policy'], registers }),
    consentExpiries: new Counter({ name: 'switchboard_consent_expiries_total', help: 'Holds that ran out, by what happened then (fallback, expire).', labelNames: ['policy', 'outcome'], registers }),
    consentLateReplies: new Counter({ name: 'switchboard_consent_late_reply_notices_total', help: 'Notices sent to users who replied after their held message expired.', labelNames: ['policy'], registers }),
    suppressions: new Gauge({
      name: 'switchboard_suppression_list_size',
      help: 'Opted-out (channel, sender, user) entries, by channel.',
      labelNames: ['channel'],
      registers,
      async collect() {
        this.reset();
        for (const [channel, n] of await sources.suppressions()) this.set({ channel }, n);
      },
    }),
    suppressedSteps: new Counter({ name: 'switchboard_suppressed_steps_total', help: 'Steps skipped because their recipient opted out, by route and channel.', labelNames: ['route', 'channel'], registers }),
    deadLetters: new Gauge({ name: 'switchboard_dead_letters', help: 'Work that exhausted its retries and waits for inspection.', registers }),
    reloadSuccess: new Gauge({ name: 'switchboard_config_last_reload_successful', help: 'Whether the last configuration reload attempt was successful.', registers }),
    reloadTimestamp: new Gauge({ name: 'switchboard_config_last_reload_success_timestamp_seconds', help: 'Timestamp of the last successful configuration reload.', registers }),
    restartRequired: new Gauge({ name: 'switchboard_config_restart_required', help: 'Whether the loaded configuration changes settings that only a restart applies (1) or not (0).', registers }),
    configHash: new Gauge({ name: 'switchboard_config_hash', help: 'Hash of the loaded configuration file (first 48 bits of its SHA-256).', registers }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
