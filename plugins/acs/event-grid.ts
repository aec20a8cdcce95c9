type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export const VALIDATION_EVENT = 'Microsoft.EventGrid.SubscriptionValidationEvent';

/** One event, whichever schema it came in. */
export interface GridEvent {
  id: string;
  type: string;
  data: Json;
  time?: string;
  subject?: string;
}

export type Envelope =
  | { ok: true; schema: 'eventgrid' | 'cloudevents'; events: GridEvent[] }
  | { ok: false; reason: string };

/**
 * Reads a delivery in either schema: Event Grid's (always a JSON array of `{id, eventType, data,
 * eventTime, subject, dataVersion, metadataVersion}`) or CloudEvents 1.0 (one object, or an array
 * in batched mode, of `{specversion, id, type, source, time, subject, data}`).
 *
 * @example readEnvelope([{ id: '1', eventType: 'Microsoft.Communication.AdvancedMessageReceived', data: {…} }])
 */
export function readEnvelope(body: unknown): Envelope {
  const items = Array.isArray(body) ? body : isObject(body) ? [body] : undefined;
  if (!items) return { ok: false, reason: 'expected an Event Grid array or a CloudEvents object or batch' };
  if (items.length === 0) return { ok: true, schema: 'eventgrid', events: [] };
  const cloud = isObject(items[0]) && items[0].specversion !== undefined;
  if (!Array.isArray(body) && !cloud) return { ok: false, reason: 'an Event Grid schema delivery is a JSON array' };
  const events: GridEvent[] = [];
  for (const [index, item] of items.entries()) {
    if (!isObject(item)) return { ok: false, reason: `event ${index} is not an object` };
    const id = str(item.id);
    const type = cloud ? str(item.type) : str(item.eventType);
    if (!id || !type) return { ok: false, reason: `event ${index}: needs id and ${cloud ? 'type' : 'eventType'}` };
    if (cloud && item.specversion !== '1.0') return { ok: false, reason: `event ${index}: CloudEvents specversion ${String(item.specversion)} is not 1.0` };
    const time = cloud ? str(item.time) : str(item.eventTime);
    const subject = str(item.subject);
    events.push({ id, type, data: isObject(item.data) ? item.data : {}, ...(time ? { time } : {}), ...(subject ? { subject } : {}) });
  }
  return { ok: true, schema: cloud ? 'cloudevents' : 'eventgrid', events };
}

/** The CloudEvents abuse-protection answer (HTTP OPTIONS): the origin allowed, any rate. */
export function optionsHandshake(origin: string | undefined): Record<string, string> {
  return { 'WebHook-Allowed-Origin': origin && origin.trim() !== '' ? origin.trim() : '*', 'WebHook-Allowed-Rate': '*', Allow: 'POST, OPTIONS' };
}
