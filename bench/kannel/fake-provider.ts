/**
 * The provider's side of the end-to-end runs, in a process of its own for both gateways, so that
 * arrivals are stamped the same way and not by the busy bench process. `GET /count` says how many
 * arrived and when the last one did (epoch ms, this host's clock).
 *
 * For Switchboard it is the provider: it answers Infobip's `POST /sms/3/messages` the way Infobip
 * does (every message of the request PENDING, in one answer), counting messages, not requests.
 * With `--fakesmsc` it reads fakesmsc's log on stdin instead and counts the lines fakesmsc prints
 * per message it receives from Kannel.
 *
 *   node --import tsx bench/kannel/fake-provider.ts <port> [--fakesmsc]
 */
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';

const port = Number(process.argv[2] ?? 0);
let count = 0;
let lastAt = 0;
if (process.argv[3] === '--fakesmsc') {
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (!line.includes('Got message')) return;
    count++;
    lastAt = Date.now();
  });
}
const PENDING = { groupId: 1, groupName: 'PENDING', id: 26, name: 'PENDING_ACCEPTED', description: 'Message sent to next instance' };

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/count') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ count, lastAt }));
    return;
  }
  if (req.method !== 'POST' || req.url !== '/sms/3/messages') {
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let messages: { destinations?: { messageId?: string; to?: string }[] }[];
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messages?: typeof messages };
      messages = Array.isArray(body.messages) && body.messages.length > 0 ? body.messages : [];
    } catch {
      messages = [];
    }
    if (messages.length === 0) {
      res.writeHead(400).end();
      return;
    }
    // One entry per message, as Infobip answers a request carrying several.
    const answers = messages.map((m) => {
      count++;
      const d = m.destinations?.[0];
      return { messageId: d?.messageId ?? `fake-${count}`, status: PENDING, destination: d?.to ?? '15551234567' };
    });
    lastAt = Date.now();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ bulkId: `bulk-${count}`, messages: answers }));
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
