import type { Message } from '../../../model.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, print, str, type Command } from '../command.js';
import { hintNextPage, PAGE_HELP, PAGE_OPTIONS, pageQuery, type Page } from '../page.js';
import { formatTable } from '../table.js';
import { MESSAGE_COLUMNS } from '../views/messages.js';

export const listCommand: Command = {
  name: 'list',
  summary: 'list messages, newest first',
  help: `usage: switchboard list [--status STATUS] [--route NAME] [--since TIME] [--limit N] [--cursor ID] [--json]

Lists messages (GET /v1/messages), newest first.

filters:
  --status STATUS   accepted, routing, held, sent, delivered, read, failed, expired or canceled
  --route NAME      sent through this route
  --since TIME      created at or after TIME (ISO 8601 or epoch milliseconds)
${PAGE_HELP}
${CONNECTION_HELP}`,
  options: { ...CONNECTION_OPTIONS, ...PAGE_OPTIONS, status: { type: 'string' }, route: { type: 'string' }, since: { type: 'string' } },
  async run(inv) {
    const page = await inv.api().get<Page<Message>>('/v1/messages', { status: str(inv, 'status'), route: str(inv, 'route'), since: str(inv, 'since'), ...pageQuery(inv) });
    print(inv, page, () => formatTable(page.items, MESSAGE_COLUMNS));
    hintNextPage(inv, page);
    return 0;
  },
};
