import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fsyncDir, writeFully } from '../store/file/safe-write.js';
import type { GatewayConfig } from './types.js';

/** The overlay's file name in the state directory (`store.path`). */
export const OVERLAY_FILE = 'config-overlay.json';

/**
 * Provider options written over `gateway.yaml`'s, per instance: what `POST /api/configs` (the
 * Avaya connector's API) stores, so credentials set at run time survive a restart.
 *
 * @example { providers: { 'twilio-us': { authToken: '…' }, avaya: { clientSecret: '…' } } }
 */
export interface Overlay {
  providers: Record<string, Record<string, string>>;
}

/** An overlay merged into a config: where it came from, and which option paths it set. */
export interface AppliedOverlay {
  file: string;
  raw: string;
  /** Whether `providers.<instance>.<option>` (the first three segments of `path`) came from the overlay. */
  covers(path: readonly (string | number)[]): boolean;
}

export const overlayPath = (storePath: string): string => join(storePath, OVERLAY_FILE);

/**
 * The instances an overlay may change: the two that `compat.avayaConnector` names (its twilio
 * instance and its bridge's contact center), while it names them. Entries for any other instance
 * are ignored, so renaming an instance in `gateway.yaml` never hands it another's credentials.
 */
export function overlayInstances(config: GatewayConfig): string[] {
  const connector = config.compat.avayaConnector;
  if (!connector) return [];
  const bridge = Object.hasOwn(config.bridges, connector.bridge) ? config.bridges[connector.bridge] : undefined;
  return [connector.twilio, ...(bridge ? [bridge.contactCenter] : [])];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses an overlay's text; throws a message naming what is wrong (never quoting a value). */
export function parseOverlay(raw: string): Overlay {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    throw new Error('is not valid JSON');
  }
  if (!isObject(data) || Object.keys(data).some((k) => k !== 'providers' && k !== '$comment') || !isObject(data.providers)) {
    throw new Error('must be an object {"providers": {<instance>: {<option>: "<value>"}}}');
  }
  for (const [instance, options] of Object.entries(data.providers)) {
    if (!isObject(options) || Object.values(options).some((v) => typeof v !== 'string')) {
      throw new Error(`providers.${instance} must map option names to strings`);
    }
  }
  return { providers: data.providers as Overlay['providers'] };
}

/** The overlay file's text, or undefined when there is none. Throws on any other read error. */
export async function readOverlayText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** An overlay's text as written (undefined when it sets nothing: the file is removed). */
export function formatOverlay(overlay: Overlay): string | undefined {
  const providers = Object.fromEntries(Object.entries(overlay.providers).filter(([, options]) => Object.keys(options).length > 0));
  if (Object.keys(providers).length === 0) return undefined;
  const doc = { $comment: 'Written by POST /api/configs (compat.avayaConnector); merged over gateway.yaml for the instances it names. Holds secrets: keep it 0600.', providers };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/**
 * Replaces the overlay atomically — a temp file created 0600, every byte written and synced, then
 * renamed over the old one and the folder synced — so a crash leaves the old file or the new one,
 * and the secrets are never readable by others. `undefined` removes the file.
 */
export async function writeOverlayText(file: string, text: string | undefined): Promise<void> {
  const dir = dirname(file);
  if (text === undefined) {
    await unlink(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await fsyncDir(dir);
    return;
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(file)}.${process.pid}.tmp`);
  const fh = await open(tmp, 'w', 0o600);
  try {
    await writeFully(fh, Buffer.from(text, 'utf8'), 0);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  await rename(tmp, file);
  await fsyncDir(dir);
}

/**
 * The loader's step: reads `<store.path>/config-overlay.json` (store.path already resolved) and
 * merges its options over the provider instances {@link overlayInstances} names, before the
 * plugins' schemas check them — so an overlaid value is validated, and collected as a secret,
 * exactly like one written in `gateway.yaml`. Errors name the overlay file.
 */
export async function mergeOverlay(config: GatewayConfig, storePath: string): Promise<{ applied?: AppliedOverlay; errors: string[] }> {
  const instances = overlayInstances(config);
  if (instances.length === 0) return { errors: [] };
  const file = overlayPath(storePath);
  let raw: string | undefined;
  let overlay: Overlay;
  try {
    raw = await readOverlayText(file);
    if (raw === undefined) return { errors: [] };
    overlay = parseOverlay(raw);
  } catch (err) {
    const reason = raw === undefined ? `cannot read it: ${(err as NodeJS.ErrnoException).code ?? 'error'}` : (err as Error).message;
    return { errors: [`${file}: ${reason}`] };
  }
  const covered = new Set<string>();
  const providers = config.providers as Record<string, Record<string, unknown>>;
  for (const instance of instances) {
    const options = Object.hasOwn(overlay.providers, instance) ? overlay.providers[instance] : undefined;
    if (!options || !Object.hasOwn(providers, instance)) continue;
    // `plugin`, `senders` and `rateLimit` stay gateway.yaml's: an overlay holds plugin options only.
    const { plugin: _p, senders: _s, rateLimit: _r, ...own } = options;
    providers[instance] = { ...providers[instance], ...own };
    for (const key of Object.keys(own)) covered.add(`${instance}\u0000${key}`);
  }
  if (covered.size === 0) return { errors: [] };
  return {
    errors: [],
    applied: { file, raw, covers: (path) => path[0] === 'providers' && covered.has(`${String(path[1])}\u0000${String(path[2])}`) },
  };
}
