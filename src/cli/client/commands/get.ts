import type { Message } from '../../../model.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, print, type Command } from '../command.js';
import { usageError } from '../io.js';
import { formatMessage } from '../views/messages.js';

export const getCommand: Command = {
  name: 'get',
  summary: 'show one message with its attempts and history',
  help: `usage: switchboard get ID [--json]

Shows a message (GET /v1/messages/ID): its status and recipients, every attempt (channel,
provider, status, error) and its history (each change with its time and cause).
${CONNECTION_HELP}`,
  options: CONNECTION_OPTIONS,
  maxPositionals: 1,
  async run(inv) {
    const [id] = inv.positionals;
    if (!id) throw usageError('which message? usage: switchboard get ID');
    const message = await inv.api().get<Message>(`/v1/messages/${encodeURIComponent(id)}`);
    print(inv, message, () => formatMessage(message));
    return 0;
  },
};
