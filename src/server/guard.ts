// The HTTP side of the security module: one hook before every route — the API, the web UI, /docs and
// both WebSocket upgrades — asks `Access.check` (src/io/security.ts) and answers refusals; it also gives
// CORS headers to the origins Access allows, and answers their preflights.

import type { FastifyInstance } from 'fastify';
import { type Access, TOKEN_COOKIE, tokenFrom } from '../io/security.js';
import { refuse } from './http.js';

/** What the API's cross-origin callers may use. */
const ALLOW_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';
const ALLOW_HEADERS = 'Content-Type, Authorization';

/** A header Node may have joined from several lines: the first value only. */
function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function installGuard(app: FastifyInstance, access: Access): void {
  app.addHook('onRequest', async (request, reply) => {
    const query = (request.query as Record<string, unknown> | undefined)?.token;
    const headers = request.headers;
    const verdict = access.check({
      method: request.method,
      host: single(headers.host),
      origin: single(headers.origin),
      secFetchSite: single(headers['sec-fetch-site']),
      token: tokenFrom({ authorization: headers.authorization, cookie: single(headers.cookie) }, query),
      peer: request.socket.remoteAddress,
    });
    if (!verdict.ok) return refuse(request, reply, verdict.status, verdict.detail);
    const origin = access.allowOrigin(single(headers.origin), single(headers.host));
    if (origin !== undefined) {
      reply.header('Access-Control-Allow-Origin', origin);
      if (origin !== '*') reply.header('Vary', 'Origin');
    }
    // A browser that opened the UI with ?token= keeps it for the UI's own requests and WebSockets.
    if (access.token !== undefined && typeof query === 'string' && !headers.cookie?.includes(TOKEN_COOKIE)) {
      reply.header('Set-Cookie', `${TOKEN_COOKIE}=${access.token}; Path=/; HttpOnly; SameSite=Strict`);
    }
  });

  // Preflights: allowed origins got Access-Control-Allow-Origin above; the rest get no permission.
  app.options('/*', { schema: { hide: true } }, async (request, reply) => {
    const allowed = reply.hasHeader('Access-Control-Allow-Origin');
    if (allowed) {
      const asked = request.headers['access-control-request-headers'];
      reply
        .header('Access-Control-Allow-Methods', ALLOW_METHODS)
        .header('Access-Control-Allow-Headers', typeof asked === 'string' ? asked : ALLOW_HEADERS)
        .header('Access-Control-Max-Age', '600');
    }
    return reply.code(204).send();
  });
}
