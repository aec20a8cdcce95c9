/**
 * SMS length arithmetic shared by the phone-channel plugins (Twilio, Bandwidth…): which encoding a
 * text needs and how many concatenated segments it costs.
 *
 * A single SMS carries 140 bytes: 160 GSM-7 septets or 70 UCS-2 units. Concatenated parts lose
 * 6 bytes to the user-data header, leaving 153 septets or 67 units per segment (3GPP TS 23.040,
 * 8-bit reference, which is what carriers and providers bill by).
 */

/** The GSM 03.38 default alphabet (one septet each). */
const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
    '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
/** The extension table: an escape septet plus one, so each counts twice. */
const GSM7_EXTENSION = new Set('\f^{}\\[~]|€');

const LIMITS = {
  'GSM-7': { single: 160, part: 153 },
  'UCS-2': { single: 70, part: 67 },
} as const;

export type SmsEncoding = keyof typeof LIMITS;

export interface SmsSegments {
  encoding: SmsEncoding;
  /** Concatenated parts the text is split into; 0 for an empty text. */
  segments: number;
  /** Length in encoding units: GSM-7 septets (extension chars count 2) or UTF-16 units (most emoji count 2). */
  characters: number;
}

/**
 * How an SMS body is encoded and how many segments it takes. One character outside GSM-7 forces
 * UCS-2 for the whole message. A character is never split across two segments (an escape pair or a
 * surrogate pair), which is why a long text can need one segment more than `ceil(length / 153)`.
 *
 * @example smsSegments('Hello €5') // → { encoding: 'GSM-7', segments: 1, characters: 9 }
 */
export function smsSegments(text: string): SmsSegments {
  const chars = [...text];
  const gsm = chars.every((c) => GSM7_BASIC.has(c) || GSM7_EXTENSION.has(c));
  const encoding: SmsEncoding = gsm ? 'GSM-7' : 'UCS-2';
  const widths = chars.map((c) => (gsm ? (GSM7_EXTENSION.has(c) ? 2 : 1) : c.length));
  const characters = widths.reduce((sum, w) => sum + w, 0);
  const limit = LIMITS[encoding];

  if (characters === 0) return { encoding, segments: 0, characters };
  if (characters <= limit.single) return { encoding, segments: 1, characters };

  // Greedy fill, in order: a character that does not fit whole opens the next segment.
  let segments = 1;
  let used = 0;
  for (const w of widths) {
    if (used + w > limit.part) {
      segments += 1;
      used = 0;
    }
    used += w;
  }
  return { encoding, segments, characters };
}
