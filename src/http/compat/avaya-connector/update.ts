import { formatOverlay, overlayPath, parseOverlay, readOverlayText, writeOverlayText, type Overlay } from '../../../config/overlay.js';
import { AppError } from '../../../errors.js';
import type { Logger } from '../../../log/logger.js';
import { createRedactor, type Redactor } from '../../../log/redact.js';
import type { ReloadResult } from '../../../runtime/reloader.js';
import type { Runtime } from '../../../runtime/runtime.js';

export interface OverlayUpdaterDeps {
  runtime: () => Runtime;
  reload: () => Promise<ReloadResult>;
  /** Masks the serving config's secrets (what `/-/config` uses). */
  redact: Redactor;
  logger: Logger;
}

/** Per instance, option → value to set, or `''` to take the option out of the overlay. */
export type OptionChanges = Readonly<Record<string, Readonly<Record<string, string>>>>;

/**
 * The instances whose options `changes` alters, and the overlay that results: a value equal to
 * the one serving is left out (it would only pin today's `gateway.yaml` value).
 */
function nextOverlay(current: Overlay, changes: OptionChanges, serving: Runtime['loaded']['config']['providers']): { next: Overlay; changed: Set<string> } {
  const providers: Overlay['providers'] = structuredClone(current.providers);
  const changed = new Set<string>();
  for (const [instance, options] of Object.entries(changes)) {
    const own = (providers[instance] ??= {});
    for (const [option, value] of Object.entries(options)) {
      if (value === '') {
        if (Object.hasOwn(own, option)) {
          delete own[option];
          changed.add(instance);
        }
      } else if (serving[instance]?.[option] !== value) {
        own[option] = value;
        changed.add(instance);
      }
    }
  }
  return { next: { providers }, changed };
}

/**
 * Applies option changes as one transaction: write the overlay (atomically, 0600), reload, and if
 * the reload is refused put the previous overlay back, so a refused update leaves both the file
 * and the serving config as they were. Updates run one at a time.
 *
 * @example
 *   const update = createOverlayUpdater({ runtime, reload, redact, logger });
 *   const { changed } = await update({ 'twilio-us': { authToken: 'new' } }, new Set(['new']));
 */
export function createOverlayUpdater(deps: OverlayUpdaterDeps) {
  let tail: Promise<unknown> = Promise.resolve();

  async function apply(changes: OptionChanges, postedSecrets: ReadonlySet<string>): Promise<{ changed: Set<string> }> {
    const file = overlayPath(deps.runtime().loaded.config.store.path);
    const previous = await readOverlayText(file).catch((err: NodeJS.ErrnoException) => {
      throw new AppError('unavailable', `cannot read the overlay ${file}: ${err.code ?? 'error'}`);
    });
    let current: Overlay = { providers: {} };
    if (previous !== undefined) {
      try {
        current = parseOverlay(previous);
      } catch (err) {
        throw new AppError('config_invalid', `the overlay ${file} ${(err as Error).message}; fix or remove it first`);
      }
    }
    const { next, changed } = nextOverlay(current, changes, deps.runtime().loaded.config.providers);
    if (changed.size === 0) return { changed };

    await writeOverlayText(file, formatOverlay(next)).catch((err: NodeJS.ErrnoException) => {
      throw new AppError('unavailable', `cannot write the overlay ${file}: ${err.code ?? err.message}`);
    });
    const result = await deps.reload();
    if (result.ok) {
      deps.logger.info({ file, instances: [...changed] }, 'POST /api/configs: credentials written to the overlay and reloaded');
      return { changed };
    }
    try {
      await writeOverlayText(file, previous);
    } catch (err) {
      // The next start would load the refused overlay and stop: say so loudly.
      deps.logger.error({ err, file }, 'a refused POST /api/configs could not put the previous overlay back; fix or remove the file before restarting');
    }
    const refused = new Set([...(result.secrets ?? []), ...postedSecrets]);
    const details = createRedactor(() => refused)(deps.redact(result.errors ?? []));
    throw new AppError('config_invalid', 'the update was refused; the previous configuration keeps serving', details);
  }

  return function update(changes: OptionChanges, postedSecrets: ReadonlySet<string>): Promise<{ changed: Set<string> }> {
    const run = tail.then(() => apply(changes, postedSecrets));
    tail = run.catch(() => undefined);
    return run;
  };
}
