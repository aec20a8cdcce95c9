/** The mask written in place of a secret in logs and in `/-/config`. */
export const MASK = '***';

/**
 * Replaces every known secret value (and every substring equal to one) in a value, deeply.
 * One function serves the logger and `/-/config`, so both hide exactly the same things.
 *
 * @example
 *   const redact = createRedactor(() => new Set(['s3cr3t']));
 *   redact({ url: 'https://u:s3cr3t@h' }) // → { url: 'https://u:***@h' }
 */
export type Redactor = (value: unknown) => unknown;

export function createRedactor(secrets: () => ReadonlySet<string>): Redactor {
  const redactString = (s: string, known: ReadonlySet<string>): string => {
    let out = s;
    for (const secret of known) {
      // Short values (a port, "yes") would mask half a log line; secrets shorter than 4 are not secrets.
      if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join(MASK);
    }
    return out;
  };
  const walk = (value: unknown, known: ReadonlySet<string>, seen: WeakSet<object>): unknown => {
    if (typeof value === 'string') return redactString(value, known);
    if (value === null || typeof value !== 'object') return value;
    if (seen.has(value)) return '[circular]';
    seen.add(value);
    if (value instanceof Error) {
      return { type: value.name, message: redactString(value.message, known), stack: redactString(value.stack ?? '', known), code: (value as { code?: unknown }).code };
    }
    if (Array.isArray(value)) return value.map((v) => walk(v, known, seen));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = walk(v, known, seen);
    return out;
  };
  return (value) => {
    const known = secrets();
    return known.size === 0 && typeof value !== 'object' ? value : walk(value, known, new WeakSet());
  };
}
