import type { LoadedConfig } from '../../config/load.js';
import { dryRun, type DryRun, type PlannedStep } from '../../engine/dry-run.js';
import type { SendRequest } from '../../engine/engine.js';
import { AppError } from '../../errors.js';
import { validateBody } from '../../http/validate.js';
import type { ExpectedStep, RouteCase } from './cases.js';

export interface Verdict {
  name: string;
  pass: boolean;
  /** What the gateway would do: the steps, or the reason it would refuse the message. */
  got: DryRun | { error: string };
  /** What was expected, in the same words as `got`. */
  want: ExpectedStep[] | { error: string };
}

// Content picks no step; a test file need not spell it out.
const PLACEHOLDER_CONTENT = { text: 'switchboard routes test' };

/** The steps a message starts (skipped ones end before any provider is asked), as a test file writes them. */
export const taken = (steps: readonly PlannedStep[]): ExpectedStep[] => steps.filter((s) => !s.skipped).map((s) => ({ channel: s.channel, providers: s.providers }));

function matches(want: readonly ExpectedStep[], got: readonly ExpectedStep[]): boolean {
  return want.length === got.length && want.every((w, i) => w.channel === got[i].channel && (w.providers === undefined || w.providers.join('\0') === got[i].providers?.join('\0')));
}

/**
 * Runs one case: the message is checked as `POST /v1/messages` checks it, then planned by the
 * engine's own route and step choices under `loaded` (see `dryRun`). Nothing is stored or sent.
 */
export function judge(c: RouteCase, loaded: LoadedConfig): Verdict {
  let got: Verdict['got'];
  try {
    const request = validateBody<SendRequest>('send-message', { content: PLACEHOLDER_CONTENT, ...c.message });
    got = dryRun(request, loaded);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    got = { error: err.message };
  }
  if (c.error !== undefined) return { name: c.name, want: { error: c.error }, got, pass: 'error' in got && got.error.includes(c.error) };
  const want = c.expect ?? [];
  return { name: c.name, want, got, pass: !('error' in got) && matches(want, taken(got.steps)) };
}

const stepText = (s: ExpectedStep): string => (s.providers ? `${s.channel} via ${s.providers.join(', ') || '(none)'}` : s.channel);

/** `whatsapp via wa → sms via a, b`, or `refused: …`; skipped steps said in brackets, as they explain the rest. */
export function describeGot(got: Verdict['got']): string {
  if ('error' in got) return `refused: ${got.error}`;
  const parts = got.steps.map((s) => (s.skipped ? `(${s.channel}: ${s.skipped})` : `${stepText(s)}${s.consent ? ` [consent ${s.consent}]` : ''}`));
  const joiner = got.mode === 'fallback' ? ' → ' : ' + ';
  return parts.length > 0 ? parts.join(joiner) : '(no steps)';
}

export function describeWant(want: Verdict['want']): string {
  if ('error' in want) return `refused: …${want.error}…`;
  return want.length > 0 ? want.map(stepText).join(' → ') : '(no step starts)';
}
