import type { InboundRecord } from '../../../model.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, print, str, type Command } from '../command.js';
import { hintNextPage, PAGE_HELP, PAGE_OPTIONS, pageQuery, type Page } from '../page.js';
import { formatTable, type Column } from '../table.js';

const COLUMNS: readonly Column<InboundRecord>[] = [
  { title: 'ID', value: (r) => r.id },
  { title: 'RECEIVED', value: (r) => r.receivedAt },
  { title: 'INSTANCE', value: (r) => r.instance },
  { title: 'CHANNEL', value: (r) => r.channel },
  { title: 'FROM', value: (r) => r.from },
  { title: 'TO', value: (r) => r.to },
  { title: 'TEXT', value: (r) => [r.text, ...(r.media ?? [])].filter(Boolean).join(' '), max: 50 },
];

export const inboundCommand: Command = {
  name: 'inbound',
  summary: 'list received messages, newest first',
  help: `usage: switchboard inbound [--instance NAME] [--channel CHANNEL] [--from ADDRESS] [--to ADDRESS] [--since TIME] [--json]

Lists stored inbound messages (GET /v1/inbound), newest first.

filters:
  --instance NAME     received by this provider instance
  --channel CHANNEL   whatsapp, sms, mms or email
  --from ADDRESS      sent by this user
  --to ADDRESS        sent to this business number or address
  --since TIME        received at or after TIME (ISO 8601 or epoch milliseconds)
${PAGE_HELP}
${CONNECTION_HELP}`,
  options: { ...CONNECTION_OPTIONS, ...PAGE_OPTIONS, instance: { type: 'string' }, channel: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, since: { type: 'string' } },
  async run(inv) {
    const query = Object.fromEntries(['instance', 'channel', 'from', 'to', 'since'].map((name) => [name, str(inv, name)]));
    const page = await inv.api().get<Page<InboundRecord>>('/v1/inbound', { ...query, ...pageQuery(inv) });
    print(inv, page, () => formatTable(page.items, COLUMNS));
    hintNextPage(inv, page);
    return 0;
  },
};
