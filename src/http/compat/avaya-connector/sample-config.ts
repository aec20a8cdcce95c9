import type { AvayaConnectorConfig, GatewayConfig } from '../../../config/types.js';
import { AppError } from '../../../errors.js';

/**
 * One field of the sample connector's configuration and the provider option it is in Switchboard.
 * `masked` fields are shown the sample's way; `toOption` turns a posted value into the option's.
 */
interface Field {
  path: readonly string[];
  option: string;
  masked: boolean;
  toOption?: (value: string) => string;
}

// The sample prefixes a bare host with https://; the plugin's baseUrl wants the origin.
const hostToBaseUrl = (host: string): string => (/^https?:\/\//i.test(host) ? host : `https://${host}`);

// In the sample's order, so the answer reads like the sample's.
const TWILIO_FIELDS: readonly Field[] = [
  { path: ['account', 'sid'], option: 'accountSid', masked: true },
  { path: ['account', 'authToken'], option: 'authToken', masked: true },
  { path: ['apiKey', 'sid'], option: 'apiKeySid', masked: true },
  { path: ['apiKey', 'secret'], option: 'apiKeySecret', masked: true },
];
const AVAYA_FIELDS: readonly Field[] = [
  { path: ['host'], option: 'baseUrl', masked: false, toOption: hostToBaseUrl },
  { path: ['accountId'], option: 'accountId', masked: false },
  { path: ['clientId'], option: 'clientId', masked: true },
  { path: ['clientSecret'], option: 'clientSecret', masked: true },
  { path: ['connectorId'], option: 'connectorId', masked: false },
  { path: ['webhookSecret'], option: 'webhookSecret', masked: true },
];

/**
 * The sample's mask: empty stays empty, up to 6 characters become `***`, longer ones keep their
 * first 3 and last 2 (`your_twilio_account_sid` → `you***id`).
 */
export function maskLikeSample(value: string | undefined): string | undefined {
  if (!value) return value;
  if (value.length <= 6) return '***';
  return `${value.slice(0, 3)}***${value.slice(-2)}`;
}

type Options = Readonly<Record<string, unknown>>;
type Tree = { [key: string]: unknown };

function setPath(into: Tree, path: readonly string[], value: unknown): void {
  let node = into;
  for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Tree;
  node[path[path.length - 1]] = value;
}

function getPath(from: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Tree)[key] : undefined), from);
}

function view(fields: readonly Field[], options: Options): Tree {
  const out: Tree = {};
  for (const f of fields) {
    const value = typeof options[f.option] === 'string' ? (options[f.option] as string) : undefined;
    setPath(out, f.path, f.masked ? maskLikeSample(value) : value);
  }
  return out;
}

/** The two instances the connector's API speaks for: its twilio (or mock) one and its bridge's contact center. */
export function connectorInstances(config: GatewayConfig, connector: AvayaConnectorConfig): { twilio: string; avaya: string } {
  return { twilio: connector.twilio, avaya: config.bridges[connector.bridge].contactCenter };
}

export const isMockMode = (config: GatewayConfig, connector: AvayaConnectorConfig): boolean => config.providers[connector.twilio].plugin === 'mock';

/**
 * `GET /api/configs`' `config`: the sample's shape, filled from the two instances' options as
 * loaded (the overlay included), masked as the sample masks. Avaya is never in mock mode here: a
 * bridge always reaches a real (or fake) contact center.
 */
export function sampleConfigView(config: GatewayConfig, connector: AvayaConnectorConfig): Tree {
  const { twilio, avaya } = connectorInstances(config, connector);
  return {
    twilio: { ...view(TWILIO_FIELDS, config.providers[twilio]), isMockMode: isMockMode(config, connector) },
    avaya: { ...view(AVAYA_FIELDS, config.providers[avaya]), isMockMode: false },
  };
}

/** What a posted body asks of each instance: option → value, where `''` takes the option out of the overlay. */
export interface RequestedChange {
  twilio: Record<string, string>;
  avaya: Record<string, string>;
  /** The values posted in masked fields, so a refusal's errors mask them too. */
  secrets: Set<string>;
}

function requested(fields: readonly Field[], section: unknown, secrets: Set<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const value = getPath(section, f.path);
    if (typeof value !== 'string') continue;
    out[f.option] = value === '' ? '' : (f.toOption?.(value) ?? value);
    if (f.masked && value !== '') secrets.add(value);
  }
  return out;
}

/**
 * Translates a validated `POST /api/configs` body into option changes. Mock mode is decided in
 * `gateway.yaml` (the instance's plugin), so `isMockMode` may only repeat it, and a mock instance
 * takes no Twilio credentials.
 */
export function requestedChange(body: { twilio?: Tree; avaya?: Tree }, config: GatewayConfig, connector: AvayaConnectorConfig): RequestedChange {
  const mock = isMockMode(config, connector);
  const { twilio, avaya } = connectorInstances(config, connector);
  if (body.twilio?.isMockMode !== undefined && body.twilio.isMockMode !== mock) {
    throw new AppError('validation_failed', `twilio.isMockMode cannot be changed here: "${twilio}" is ${mock ? 'a mock' : 'a twilio'} instance in gateway.yaml; change its plugin there to switch`);
  }
  if (body.avaya?.isMockMode === true) throw new AppError('validation_failed', `avaya.isMockMode cannot be true: "${avaya}" is a real contact center (point its host at a fake to test)`);
  const secrets = new Set<string>();
  const change = { twilio: requested(TWILIO_FIELDS, body.twilio, secrets), avaya: requested(AVAYA_FIELDS, body.avaya, secrets), secrets };
  if (mock && Object.values(change.twilio).some((v) => v !== '')) {
    throw new AppError('validation_failed', `"${twilio}" is a mock instance (mock mode): it takes no Twilio credentials; leave them empty, or make it a twilio instance in gateway.yaml`);
  }
  return change;
}
