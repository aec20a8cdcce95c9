import type { Message } from '../../../model.js';
import { formatFields, formatTable, type Column } from '../table.js';

/** The recipients as one cell: `sms:+1555…, email:a@b`. */
export const recipients = (m: Pick<Message, 'to'>): string => Object.entries(m.to ?? {}).map(([channel, address]) => `${channel}:${[address].flat().join('+')}`).join(', ');

export const MESSAGE_COLUMNS: readonly Column<Message>[] = [
  { title: 'ID', value: (m) => m.id },
  { title: 'STATUS', value: (m) => m.status },
  { title: 'ROUTE', value: (m) => m.route },
  { title: 'TO', value: recipients, max: 40 },
  { title: 'CREATED', value: (m) => m.createdAt },
  { title: 'UPDATED', value: (m) => m.updatedAt },
];

const ATTEMPT_COLUMNS: readonly Column<Message['attempts'][number]>[] = [
  { title: 'STEP', value: (a) => a.step + 1 },
  { title: 'CHANNEL', value: (a) => a.channel },
  { title: 'PROVIDER', value: (a) => a.provider },
  { title: 'TO', value: (a) => a.to },
  { title: 'STATUS', value: (a) => a.status },
  { title: 'PROVIDER ID', value: (a) => a.providerMessageId },
  { title: 'ERROR', value: (a) => [a.errorCode, a.errorReason].filter(Boolean).join(' ') },
];

const HISTORY_COLUMNS: readonly Column<Message['history'][number]>[] = [
  { title: 'AT', value: (h) => h.at },
  { title: 'EVENT', value: (h) => h.event },
  { title: 'STATUS', value: (h) => h.status },
  { title: 'CAUSE', value: (h) => h.cause },
];

/** One message for people: its fields, then its attempts and its history as tables. */
export function formatMessage(m: Message): string {
  const tags = Object.entries(m.tags ?? {}).map(([k, v]) => `${k}=${v}`).join(', ');
  const fields = formatFields([
    ['id', m.id],
    ['status', m.status],
    ['route', m.route],
    ['to', recipients(m)],
    ['from', m.from],
    ['tags', tags],
    ['created', m.createdAt],
    ['updated', m.updatedAt],
    ['completed', m.completedAt],
  ]);
  const attempts = m.attempts.length > 0 ? formatTable(m.attempts, ATTEMPT_COLUMNS) : 'no attempts yet\n';
  return `${fields}\nattempts:\n${attempts}\nhistory:\n${formatTable(m.history, HISTORY_COLUMNS)}`;
}
