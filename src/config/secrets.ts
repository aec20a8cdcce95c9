/**
 * Adds to `out` every string in `data` whose schema marks it `x-secret: true`. Walks the same
 * keywords the config schemas use (`properties`, `additionalProperties`, `items`).
 */
export function collectSecrets(schema: unknown, data: unknown, out: Set<string>): void {
  if (!schema || typeof schema !== 'object' || data === undefined || data === null) return;
  const s = schema as Record<string, unknown>;
  if (s['x-secret'] === true && typeof data === 'string') {
    out.add(data);
    return;
  }
  if (Array.isArray(data)) {
    for (const item of data) collectSecrets(s.items, item, out);
    return;
  }
  if (typeof data !== 'object') return;
  const props = (s.properties ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    collectSecrets(Object.hasOwn(props, k) ? props[k] : s.additionalProperties, v, out);
  }
}
