/**
 * The baseline: a bare Koa + koa-bodyparser app that parses the same JSON body as
 * `POST /v1/messages` and answers `202 {id, status}` without storing anything; the same for the
 * mock provider's receipt webhook `POST /webhooks/m/status` (200).
 *
 *   node --import tsx bench/baseline-server.ts <port>
 */
import { randomUUID } from 'node:crypto';
import Koa from 'koa';
import bodyParser from 'koa-bodyparser';

const port = Number(process.argv[2] ?? 0);
const app = new Koa();
app.use(bodyParser());
app.use((ctx) => {
  if (ctx.method === 'POST' && ctx.path === '/webhooks/m/status') {
    // The receipt webhook's counterpart (bench/receipts.ts): parse, answer 200 as the daemon does.
    ctx.status = 200;
    ctx.body = { ok: typeof (ctx.request.body as { messageId?: unknown } | undefined)?.messageId === 'string' };
    return;
  }
  if (ctx.method !== 'POST' || ctx.path !== '/v1/messages') {
    ctx.status = 404;
    return;
  }
  const body = ctx.request.body as { route?: unknown } | undefined;
  ctx.status = 202;
  ctx.body = { id: randomUUID(), status: body?.route ? 'accepted' : 'invalid' };
});

const server = app.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
