import type { AttemptStatus, ProviderSignal } from '../../src/plugin-api.js';

/** Advanced Messaging delivery status (lower-cased) → normalized attempt status. */
export const STATUS_MAP: Readonly<Record<string, AttemptStatus>> = Object.freeze({
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  failed: 'failed',
});

/** Meta's code for free-form content outside the 24-hour customer-service window. */
export const OUTSIDE_WINDOW_CODE = '131047';

/** What a WhatsApp channel error code says beyond the attempt. */
export function signalOf(code: string | undefined): { signal?: ProviderSignal } {
  return code === OUTSIDE_WINDOW_CODE ? { signal: 'outside_window' } : {};
}
