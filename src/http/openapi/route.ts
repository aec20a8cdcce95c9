import { createHash } from 'node:crypto';
import Router from '@koa/router';
import { openApiDocument } from './document.js';

/**
 * `GET /openapi.json`: the API's description, public like the source it describes (it holds no
 * config, keys or addresses). Built once; an `ETag` lets tools poll it cheaply.
 */
export function openApiRoutes(): Router {
  const router = new Router();
  let cached: { text: string; etag: string } | undefined;
  router.get('/openapi.json', (ctx) => {
    cached ??= (() => {
      const text = JSON.stringify(openApiDocument(), null, 2);
      return { text, etag: `"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"` };
    })();
    ctx.type = 'application/json';
    ctx.set('ETag', cached.etag);
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = cached.text;
    // `fresh` compares with the request's If-None-Match once the answer is a 200.
    if (ctx.fresh) ctx.status = 304;
  });
  return router;
}
