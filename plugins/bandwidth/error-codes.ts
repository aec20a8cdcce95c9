/**
 * Bandwidth delivery error codes (`errorCode` on `message-failed`), from Bandwidth's messaging
 * error table. The first digit says whose fault it is: 4 = the request, the number or the
 * recipient (permanent: the same message will fail again), 5 = Bandwidth or the carrier
 * (retryable), 9 = ambiguous (no delivery receipt; not proof the message was lost).
 */

export type ErrorClass = 'permanent' | 'retryable' | 'ambiguous';

export interface DeliveryError {
  code: number;
  /** Bandwidth's documented name, e.g. `destination-rejected-due-to-user-opt-out`. */
  name: string;
  /** The same in words, for people reading an attempt. */
  reason: string;
  class: ErrorClass;
  retryable: boolean;
  /** Whether Bandwidth bills the failed message; undefined where the table does not say. */
  billable?: boolean;
}

// [code, name, billable]. Where the source table documents a group of codes with one summary
// (5600–5650, 4790–4793, 4711/4712), each code carries that summary rather than a guessed name.
const KNOWN: ReadonlyArray<readonly [number, string, boolean | undefined]> = [
  [4001, 'service-not-allowed', false],
  [4301, 'malformed-invalid-encoding', false],
  [4302, 'malformed-invalid-from-number', false],
  [4303, 'malformed-invalid-to-number', false],
  [4350, 'malformed-for-destination', false],
  [4360, 'message-not-sent-expiration-date-passed', false],
  [4401, 'rejected-routing-error', false],
  [4403, 'rejected-forbidden-from-number', false],
  [4404, 'rejected-forbidden-to-number', false],
  [4405, 'rejected-unallocated-from-number', false],
  [4406, 'rejected-unallocated-to-number', false],
  [4407, 'rejected-account-not-defined-from-number', false],
  [4408, 'rejected-account-not-defined-to-number', false],
  [4409, 'rejected-invalid-from-profile', false],
  [4410, 'media-unavailable', false],
  [4411, 'rejected-message-size-limit-exceeded', false],
  [4412, 'media-content-invalid', false],
  [4420, 'rejected-carrier-does-not-exist', false],
  [4421, 'rejected-forbidden-no-destination', false],
  [4431, 'rejected-forbidden-shortcode', false],
  [4432, 'rejected-forbidden-country', false],
  [4433, 'rejected-forbidden-tollfree', false],
  [4434, 'rejected-forbidden-tollfree-for-recipient', false],
  [4435, 'forbidden-too-many-recipients', false],
  [4451, 'rejected-wrong-user-id', false],
  [4452, 'rejected-wrong-application-id', false],
  [4470, 'rejected-spam-detected', true],
  [4481, 'rejected-from-number-in-blacklist', false],
  [4482, 'rejected-to-number-in-blacklist', false],
  [4492, 'reject-emergency', false],
  [4493, 'rejected-unauthorized', false],
  [4700, 'invalid-service-type', true],
  [4701, 'destination-service-unavailable', true],
  [4702, 'destination-subscriber-unavailable', true],
  [4711, 'carrier-media-too-large', true],
  [4712, 'carrier-media-content-invalid', true],
  [4720, 'invalid-destination-address', true],
  [4721, 'destination-tn-deactivated', true],
  [4730, 'no-route-to-destination-carrier', true],
  [4740, 'invalid-source-address', true],
  [4750, 'destination-rejected-message', true],
  [4751, 'destination-rejected-message-size-invalid', true],
  [4752, 'destination-rejected-malformed', true],
  [4753, 'destination-rejected-handset', true],
  [4770, 'destination-spam-detected', true],
  [4771, 'rejected-shortened-url', true],
  [4772, 'rejected-tn-blocked', true],
  [4773, 'rejected-inactive-campaign', true],
  [4774, 'rejected-provisioning-issue', true],
  [4775, 'destination-rejected-due-to-user-opt-out', true],
  [4780, 'volume-violation-t-mobile', true],
  [4781, 'volume-violation-att', true],
  [4785, 'volume-violation', true],
  [4790, 'shortcode-restriction', true],
  [4791, 'shortcode-restriction', true],
  [4792, 'shortcode-restriction', true],
  [4793, 'shortcode-restriction', true],
  [4795, 'tfn-not-verified', true],
  [5500, 'message-send-failed', false],
  [5501, 'message-send-failed', false],
  [5600, 'carrier-service-failure', true],
  [5610, 'carrier-service-failure', true],
  [5620, 'carrier-service-failure', true],
  [5630, 'carrier-service-failure', true],
  [5650, 'carrier-service-failure', true],
  [5999, 'unknown-error', false],
  [9902, 'delivery-receipt-expired', undefined],
  [9999, 'unknown-error', true],
];

/**
 * `destination-rejected-due-to-user-opt-out`: the recipient texted STOP to this number. Bandwidth
 * reports it only in a `message-failed` callback; creating the message still answers 202.
 */
export const OPTED_OUT_CODE = 4775;

const TABLE = new Map(KNOWN.map(([code, name, billable]) => [code, { name, billable }]));

function classOf(code: number): ErrorClass {
  const first = Math.floor(code / 1000);
  if (first === 5) return 'retryable';
  if (first === 9) return 'ambiguous';
  return 'permanent';
}

function fallbackName(code: number): string {
  if (code >= 5100 && code <= 5231) return 'bandwidth-temporary-error';
  return 'unknown-error-code';
}

const inWords = (name: string) => name.charAt(0).toUpperCase() + name.slice(1).replace(/-/g, ' ');

/**
 * Looks up a `message-failed` error code. Codes missing from the table still get a class from
 * their first digit, and the callback's own description as their name when it has one.
 *
 * @example describeDeliveryError(4775) // → { name: 'destination-rejected-due-to-user-opt-out', class: 'permanent', … }
 */
export function describeDeliveryError(code: number, description?: string): DeliveryError {
  const known = TABLE.get(code);
  const name = known?.name ?? (description && description.trim() !== '' ? description.trim() : fallbackName(code));
  const cls = classOf(code);
  return {
    code,
    name,
    reason: `${inWords(name)} (Bandwidth ${code})`,
    class: cls,
    retryable: cls === 'retryable',
    ...(known?.billable === undefined ? {} : { billable: known.billable }),
  };
}
