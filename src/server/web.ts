// The web UI: the built editor (dist/web) as static files, and `GET /` negotiated on Accept — the SPEC's
// JSON health string for API clients, the editor for browsers (a placeholder page until it is built).

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { sendJson } from './http.js';

export const HEALTH_TEXT = 'Synchrotron server running';

/** The package root (where package.json is), from src/server or dist/server. */
function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

const PLACEHOLDER_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Synchrotron</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;color:#222}
code{background:#f3f3f3;padding:.1em .3em;border-radius:3px}</style></head>
<body><h1>Synchrotron server running</h1>
<p>The web UI is not built yet. Run <code>npm run build</code> (it builds <code>dist/web</code>), then reload.</p>
<p>Meanwhile: the API is documented at <a href="/docs">/docs</a>; try
<code>curl -X POST --data 'new SineNode s' http://127.0.0.1:2031/execute</code>.</p></body></html>`;

/** Serves the editor from `webRoot` (default: dist/web of this package). */
export function registerWeb(app: FastifyInstance, webRoot = join(packageRoot(), 'dist', 'web')): void {
  const index = join(webRoot, 'index.html');
  const built = existsSync(index);
  if (built) {
    void app.register(fastifyStatic, { root: webRoot, prefix: '/', index: false, wildcard: true });
  }
  // Health for API clients (SPEC), the web UI for browsers: content negotiation on Accept.
  app.get(
    '/',
    {
      schema: {
        summary: 'Health (JSON string); browsers (Accept: text/html) get the web UI',
        response: { 200: Type.String() },
      },
    },
    async (request, reply) => {
      if (request.headers.accept?.includes('text/html')) {
        if (built) return reply.type('text/html; charset=utf-8').sendFile('index.html');
        return reply.type('text/html; charset=utf-8').send(PLACEHOLDER_PAGE);
      }
      return sendJson(reply, HEALTH_TEXT);
    },
  );
}
