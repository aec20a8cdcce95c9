/**
 * Event Grid as it delivers ACS Advanced Messaging events to a webhook: the event objects, both
 * delivery schemas, and a publisher that does the subscription handshake first (the validation
 * event for the Event Grid schema, HTTP OPTIONS for CloudEvents) and refuses to deliver until it
 * succeeded — as Event Grid does.
 *
 * @example
 *   const grid = eventGridPublisher(`${gw}/webhooks/acs/events?code=${SECRET}`, 'eventgrid');
 *   await grid.handshake();
 *   await grid.publish([deliveryStatus(sent.messageId, 'Failed', { channelCode: '131026', channelMessage: 'Message Undeliverable.' })]);
 */
import { randomUUID } from 'node:crypto';
import { postJson } from './fake-server.js';

export interface GridEventInput {
  id: string;
  eventType: string;
  subject: string;
  data: Record<string, unknown>;
  eventTime: string;
}

export const RECEIVED = 'Microsoft.Communication.AdvancedMessageReceived';
export const DELIVERY_STATUS = 'Microsoft.Communication.AdvancedMessageDeliveryStatusUpdated';
const TOPIC = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Communication/communicationServices/contoso';

/** `AdvancedMessageDeliveryStatusUpdated` for a sent message. */
export function deliveryStatus(messageId: string, status: 'Sent' | 'Delivered' | 'Read' | 'Failed', error?: { channelCode: string; channelMessage: string }, extra: { from?: string; to?: string } = {}): GridEventInput {
  const now = new Date().toISOString();
  return {
    id: randomUUID(), eventType: DELIVERY_STATUS, subject: `advancedMessage/${messageId}/status/${status}`, eventTime: now,
    data: { messageId, status, channelType: 'whatsapp', from: extra.from ?? 'channel', to: extra.to ?? '15550001111', receivedTimestamp: now, ...(error ? { error } : {}) },
  };
}

/** `AdvancedMessageReceived`: `from` the person's WhatsApp id (digits), `to` the channel registration id. */
export function received(from: string, channelId: string, content: Record<string, unknown>): GridEventInput {
  const now = new Date().toISOString();
  return {
    id: randomUUID(), eventType: RECEIVED, subject: `advancedMessage/sender/${from}/recipient/${channelId}`, eventTime: now,
    data: { channelType: 'whatsapp', messageId: randomUUID(), from, to: channelId, receivedTimestamp: now, messageType: 'text', ...content },
  };
}

/** The Event Grid schema: a JSON array with the envelope fields. */
export const eventGridBody = (events: GridEventInput[]) => events.map((e) => ({ ...e, topic: TOPIC, dataVersion: '1.0', metadataVersion: '1' }));

/** CloudEvents 1.0: one object (one event) or a batch array. */
export const cloudEventsBody = (events: GridEventInput[], batch = events.length > 1) => {
  const out = events.map((e) => ({ specversion: '1.0', id: e.id, type: e.eventType, source: TOPIC, subject: e.subject, time: e.eventTime, datacontenttype: 'application/json', data: e.data }));
  return batch ? out : out[0];
};

export const validationEvent = (validationCode: string) => [{
  id: randomUUID(), topic: TOPIC, subject: '', eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', eventTime: new Date().toISOString(),
  data: { validationCode, validationUrl: `https://rp-eastus.eventgrid.azure.net:553/eventsubscriptions/sb/validate?id=${validationCode}&t=x&apiVersion=2020-06-01&token=abc` },
  dataVersion: '2', metadataVersion: '1',
}];

export interface Publisher {
  /** Runs the subscription handshake; resolves with whether Event Grid would accept the endpoint. */
  handshake(): Promise<{ ok: boolean; status: number }>;
  /** Delivers events (after a successful handshake); the webhook's answer. */
  publish(events: GridEventInput[]): Promise<{ status: number; text: string }>;
}

/** `headers` are the subscription's delivery properties (`x-webhook-secret`). */
export function eventGridPublisher(url: string, schema: 'eventgrid' | 'cloudevents', headers: Record<string, string> = {}): Publisher {
  let validated = false;
  return {
    async handshake() {
      if (schema === 'cloudevents') {
        const res = await postJson(url, undefined, { 'webhook-request-origin': 'eventgrid.azure.net', ...headers }, 'OPTIONS');
        validated = res.status === 200 && ['eventgrid.azure.net', '*'].includes(res.headers.get('webhook-allowed-origin') ?? '');
        return { ok: validated, status: res.status };
      }
      const code = randomUUID();
      const res = await postJson(url, validationEvent(code), { 'aeg-event-type': 'SubscriptionValidation', ...headers });
      validated = res.status === 200 && JSON.parse(res.text || '{}').validationResponse === code;
      return { ok: validated, status: res.status };
    },
    async publish(events) {
      if (!validated) throw new Error('Event Grid delivers nothing to an endpoint that has not passed the handshake');
      const cloud = schema === 'cloudevents';
      const body = cloud ? cloudEventsBody(events) : eventGridBody(events);
      const type = cloud ? (Array.isArray(body) ? 'application/cloudevents-batch+json' : 'application/cloudevents+json') : 'application/json';
      return postJson(url, body, { 'content-type': type, 'aeg-event-type': 'Notification', 'aeg-delivery-count': '0', ...headers });
    },
  };
}
