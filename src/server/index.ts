// The Synchrotron server: the live engine (render worker, audio output) behind the HTTP API of SPEC §4,
// the newer routes beside it, the WebSockets at /ws and /ws/audio, OpenAPI docs at /docs and the web UI.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyWebsocket from '@fastify/websocket';
import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { SynchrotronError } from '../engine/errors.js';
import { isDataValue } from '../engine/types.js';
import { parseMidiBytes } from '../io/midi-host.js';
import { fromApiPort, toApiConnection, toApiNode, toApiNodes } from '../lang/api-shapes.js';
import { type EngineOptions, LiveEngine } from './engine.js';
import { OscServer } from './osc.js';
import { Access } from './osc-security-temporary.js';
import type { ApiConnection } from './protocol.js';
import {
  CommandResultSchema,
  ConnectionSchema,
  errors,
  MidiMessageSchema,
  NodeTypeSchema,
  ref,
  sharedSchemas,
} from './schemas.js';
import { exportGraph, patchScript, runScript } from './script.js';
import { registerSockets } from './sockets.js';

export const DEFAULT_PORT = 2031;
export const HEALTH_TEXT = 'Synchrotron server running';

export interface ServerOptions extends EngineOptions {
  /** Address to bind, default 127.0.0.1. Anything else requires a token. */
  host?: string;
  /** Port, default 2031; 0 picks a free one (tests). */
  port?: number;
  /** Bearer token checked on every request; generated when binding beyond loopback without one. */
  token?: string;
  /** Allowed CORS origins: '*' (default, as the original) or a list. */
  cors?: '*' | string[];
  /** Folder of the built web UI (default: dist/web of this package). */
  webRoot?: string;
  /** A patch script (contents of a .syn/.sui file) run at start-up. */
  patch?: string;
  /** Render from the start (default true). */
  start?: boolean;
  /** Largest request body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** UDP port for OSC (`--osc`); 0 picks a free one (tests); undefined: no OSC server. */
  osc?: number;
}

export interface SynchrotronServer {
  app: FastifyInstance;
  engine: LiveEngine;
  /** Base URL, e.g. http://127.0.0.1:2031 */
  url: string;
  /** The token clients must send, when one is required. */
  token: string | undefined;
  /** The OSC server, when started with `osc`. */
  osc: OscServer | undefined;
  close(): Promise<void>;
}

const STATUS_BY_CODE: Record<string, number> = {
  unknown_type: 404,
  unknown_node: 404,
  unknown_port: 404,
  invalid: 422,
  conflict: 409,
  syntax: 400,
  // A file the client named could not be read or written: the request's problem, reported, not a 500.
  io: 422,
};

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || host.startsWith('127.');
}

/** The package root (where package.json is), from src/server or dist/server. */
function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

function sendJson(reply: FastifyReply, value: unknown, status = 200): FastifyReply {
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(value ?? null));
}

/** An error as the API answers it: `{"detail": ..., "code": ..., ...facts}`. */
function errorBody(error: SynchrotronError): Record<string, unknown> {
  return { detail: error.message, code: error.code, ...error.details };
}

/** A Synchrolang failure: always 400, with line and column when known. */
function scriptError(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof SynchrotronError) {
    const details = error.details as { line?: number; column?: number };
    return sendJson(
      reply,
      { ...errorBody(error), line: details.line ?? 1, column: details.column ?? 1 },
      400,
    );
  }
  throw error;
}

/** Reads a script from a body sent as text/plain, form, a JSON string or `{"script": ...}`. */
function scriptFromBody(body: unknown, contentType: string | undefined): string {
  if (typeof body !== 'string')
    throw new SynchrotronError('invalid', 'missing body: send the script as text');
  if (contentType?.includes('json')) {
    try {
      const parsed = JSON.parse(body) as unknown;
      if (typeof parsed === 'string') return parsed;
      if (
        parsed &&
        typeof parsed === 'object' &&
        typeof (parsed as { script?: unknown }).script === 'string'
      ) {
        return (parsed as { script: string }).script;
      }
    } catch {
      // Not JSON after all: a script sent with the wrong content type.
    }
  }
  return body;
}

const PLACEHOLDER_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Synchrotron</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;color:#222}
code{background:#f3f3f3;padding:.1em .3em;border-radius:3px}</style></head>
<body><h1>Synchrotron server running</h1>
<p>The web UI is not built yet. Run <code>npm run build</code> (it builds <code>dist/web</code>), then reload.</p>
<p>Meanwhile: the API is documented at <a href="/docs">/docs</a>; try
<code>curl -X POST --data 'new SineNode s' http://127.0.0.1:2031/execute</code>.</p></body></html>`;

export async function createServer(options: ServerOptions = {}): Promise<SynchrotronServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? DEFAULT_PORT;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let token = options.token;
  if (!token && !isLoopback(host)) {
    token = randomBytes(18).toString('base64url');
    log(`binding ${host}: clients must send this token (Authorization: Bearer … or ?token=…): ${token}`);
  }

  const engine = await LiveEngine.create({
    ...options,
    log,
    running: options.start !== false,
    // OscSendNode may send beyond this machine only when the server itself was opened beyond it.
    oscSend: isLoopback(host) ? 'loopback' : 'any',
  });
  let osc: OscServer | undefined;
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    forceCloseConnections: true,
    // Over-long names reach the graph, which says what is wrong with them (the default cut is 100).
    routerOptions: { maxParamLength: 2048 },
    // A number or null where a string belongs is the client's mistake, to report rather than to coerce.
    ajv: { customOptions: { coerceTypes: false } },
    // Malformed URLs (a bad %-escape) answer in the API's error shape, like every other mistake.
    frameworkErrors: (error, _request, reply) => {
      const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 400;
      return sendJson(reply, { detail: `bad request URL: ${error.message}`, code: error.code }, status);
    },
    clientErrorHandler: answerClientError,
  });
  try {
    for (const schema of sharedSchemas) app.addSchema(schema);
    installCors(app, options.cors ?? '*');
    if (token) installToken(app, token);
    installErrors(app);
    installLenientJson(app);
    await app.register(fastifySwagger, {
      openapi: {
        info: {
          title: 'Synchrotron',
          version: '0.1.0',
          description:
            'A graph-based live audio engine. The routes of the original Python server (SPEC §4) plus newer ones. ' +
            'WebSocket events at /ws, master audio stream at /ws/audio (see src/server/protocol.ts).',
        },
      },
    });
    await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
    await app.register(fastifyWebsocket, { options: { maxPayload: 1024 * 1024 } });
    registerWeb(app, options.webRoot ?? join(packageRoot(), 'dist', 'web'));
    registerRoutes(app, engine, () => osc);
    registerSockets(app, engine, log);

    if (options.patch !== undefined) {
      runScript(engine.scriptHost(), patchScript(options.patch));
      // A patch starts rendering, unless asked to start stopped (`serve --stopped PATCH`).
      if (options.start !== false) engine.start();
    }
    await app.listen({ host, port });
    if (options.osc !== undefined) {
      osc = await OscServer.listen({
        engine,
        port: options.osc,
        host,
        access: new Access({ token }),
        log,
      });
      log(
        `OSC on udp://${host.includes(':') ? `[${host}]` : host}:${osc.port}${token ? ' (every message carries the token first)' : ''}`,
      );
    }
  } catch (error) {
    await osc?.close();
    await app.close().catch(() => {});
    await engine.close();
    throw listenError(error, host, port);
  }
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    app,
    engine,
    url: `http://${urlHost}:${actualPort}`,
    token,
    osc,
    close() {
      closing ??= (async () => {
        await osc?.close();
        await app.close();
        await engine.close();
      })();
      return closing;
    },
  };
}

// ------------------------------------------------------------------------------- cross-cutting

/** A failure to listen, said in the user's terms (which option to change) instead of a system code. */
function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const reason: Record<string, string> = {
    EADDRINUSE: `port ${port} on ${host} is already in use (another Synchrotron server?): stop it or choose another port with --port`,
    EACCES: `not allowed to listen on port ${port} (ports below 1024 need privileges): choose another with --port`,
    EADDRNOTAVAIL: `cannot listen on ${host}: this machine has no such address (--host)`,
    ENOTFOUND: `cannot listen on ${host}: no such host name (--host)`,
    EAI_AGAIN: `cannot listen on ${host}: the host name could not be resolved (--host)`,
  };
  const message = code ? reason[code] : undefined;
  return message ? Object.assign(new Error(message), { code }) : error;
}

/** Requests Node's HTTP parser refuses (oversized headers, garbage): a JSON `detail` like every answer. */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, text, detail] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'request headers too large (a very long URL or cookie?)']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'the request took too long to arrive']
        : [400, 'Bad Request', `malformed HTTP request: ${error.message}`];
  const body = JSON.stringify({ detail, code: error.code });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** A browser page served by this server itself (the web UI): its Origin names our own host. */
function sameOrigin(origin: string, host: string | undefined): boolean {
  return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
}

/** Answers a refused request; a refused WebSocket upgrade on the raw socket, so nothing lingers. */
function refuse(request: FastifyRequest, reply: FastifyReply, status: number, text: string, detail: string) {
  const body = JSON.stringify({ detail });
  if (request.headers.upgrade) {
    reply.hijack();
    request.raw.socket.end(
      `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    return reply;
  }
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

function installCors(app: FastifyInstance, origins: '*' | string[]): void {
  const allowed = (origin: string | undefined): string | undefined => {
    if (origins === '*') return '*';
    return origin && origins.includes(origin) ? origin : undefined;
  };
  app.addHook('onRequest', async (request, reply) => {
    const given = request.headers.origin;
    if (origins !== '*' && given && !allowed(given) && !sameOrigin(given, request.headers.host)) {
      // CORS alone only hides answers: the request itself (a POST /execute, a WebSocket, which CORS
      // never covers) would still act. With chosen origins, other pages are refused outright.
      const detail = `origin ${given} is not allowed (allowed: ${origins.join(', ')}; see --cors)`;
      return refuse(request, reply, 403, 'Forbidden', detail);
    }
    const origin = allowed(given);
    if (!origin) return;
    reply.header('Access-Control-Allow-Origin', origin);
    if (origin !== '*') reply.header('Vary', 'Origin');
  });
  app.options('/*', { schema: { hide: true } }, async (request, reply) => {
    reply
      .header('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS')
      .header(
        'Access-Control-Allow-Headers',
        request.headers['access-control-request-headers'] ?? 'Content-Type, Authorization',
      )
      .header('Access-Control-Max-Age', '600')
      .code(204)
      .send();
  });
}

/** Constant-time comparison, so response timing does not reveal how much of a guess was right. */
function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function installToken(app: FastifyInstance, token: string): void {
  const cookieName = 'synchrotron_token';
  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'OPTIONS') return;
    const bearer = /^bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
    const query = (request.query as Record<string, unknown> | undefined)?.token;
    const cookie = request.headers.cookie
      ?.split(';')
      .map((part) => part.trim())
      .find((part) => part.startsWith(`${cookieName}=`))
      ?.slice(cookieName.length + 1);
    const given = bearer ?? (typeof query === 'string' ? query : cookie);
    if (!sameToken(given, token)) {
      const detail = 'missing or wrong token: send `Authorization: Bearer <token>` or `?token=<token>`';
      return refuse(request, reply, 401, 'Unauthorized', detail);
    }
    // A browser that opened the UI with ?token= keeps it for the UI's own requests and WebSockets.
    if (typeof query === 'string' && !cookie) {
      reply.header('Set-Cookie', `${cookieName}=${token}; Path=/; HttpOnly; SameSite=Strict`);
    }
  });
}

interface ValidationFailure {
  validation: Array<{ instancePath: string; keyword: string; message?: string }>;
  validationContext?: string;
}

/**
 * For a body that may take several shapes (one message or a list of them), ajv reports every shape's
 * complaint ("must be array, must match a schema in anyOf"); keep only the ones about the body's parts.
 */
function unionMessage(failure: ValidationFailure): string | undefined {
  const all = failure.validation;
  if (!all.some((e) => e.keyword === 'anyOf')) return undefined;
  const deeper = (path: string) => all.some((e) => e.instancePath.startsWith(`${path}/`));
  const specific = all.filter((e) => e.keyword !== 'anyOf' && !deeper(e.instancePath));
  if (specific.length === 0) return undefined;
  return specific
    .map((e) => `${failure.validationContext ?? 'body'}${e.instancePath} ${e.message}`)
    .join(', ');
}

function installErrors(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof SynchrotronError)
      return sendJson(reply, errorBody(error), STATUS_BY_CODE[error.code] ?? 400);
    const fastifyError = error as {
      statusCode?: number;
      validation?: unknown;
      code?: string;
      message?: string;
    };
    if (fastifyError.validation) {
      const missingBody =
        (error as { validationContext?: string }).validationContext === 'body' && request.body === undefined;
      const detail = missingBody
        ? `missing body: ${request.method} ${request.routeOptions.url} takes a JSON body (see /docs)`
        : (unionMessage(error as ValidationFailure) ?? fastifyError.message);
      return sendJson(reply, { detail, code: 'invalid' }, 422);
    }
    const status = fastifyError.statusCode;
    if (status && status >= 400 && status < 500) {
      const detail =
        status === 413
          ? `request body too large: ${fastifyError.message}`
          : (fastifyError.message ?? 'bad request');
      return sendJson(reply, { detail, code: fastifyError.code }, status);
    }
    request.log.error(error);
    return sendJson(reply, { detail: `internal error: ${fastifyError.message ?? String(error)}` }, 500);
  });
  app.setNotFoundHandler((request, reply) =>
    sendJson(reply, { detail: `no route ${request.method} ${request.url.split('?')[0]}` }, 404),
  );
}

// ------------------------------------------------------------------------------- web UI

function registerWeb(app: FastifyInstance, webRoot: string): void {
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

// ------------------------------------------------------------------------------- routes

type NameParams = { name: string };

function registerRoutes(app: FastifyInstance, engine: LiveEngine, osc: () => OscServer | undefined): void {
  const graph = engine.graph;
  const nullAnswer = { 200: Type.Null() };

  // --- SPEC §4: the original's routes -------------------------------------------------------------
  app.get(
    '/start',
    { schema: { summary: 'Start rendering', response: nullAnswer } },
    async (_request, reply) => {
      engine.start();
      return sendJson(reply, null);
    },
  );
  app.get(
    '/stop',
    { schema: { summary: 'Stop rendering', response: nullAnswer } },
    async (_request, reply) => {
      engine.stop();
      return sendJson(reply, null);
    },
  );
  app.get(
    '/clear',
    { schema: { summary: 'Remove every node', response: nullAnswer } },
    async (_request, reply) => {
      graph.clear();
      return sendJson(reply, null);
    },
  );
  app.get(
    '/export',
    { schema: { summary: 'The graph as a Synchrolang script', response: { 200: Type.String() } } },
    async (_request, reply) => sendJson(reply, exportGraph(graph)),
  );
  app.get(
    '/nodes',
    { schema: { summary: 'All nodes', response: { 200: Type.Array(ref('Node')) } } },
    async (_request, reply) => sendJson(reply, toApiNodes(graph)),
  );
  const typeQuery = Type.Object({ type: Type.String({ description: 'Node type, e.g. SineNode' }) });
  app.post<{ Querystring: { type: string } }>(
    '/nodes',
    {
      schema: {
        summary: 'Add a node of type T with an invented name',
        querystring: typeQuery,
        response: { 200: ref('Node'), ...errors(404, 422) },
      },
    },
    async (request, reply) => sendJson(reply, toApiNode(graph, graph.addNode(request.query.type))),
  );
  app.get<{ Params: NameParams }>(
    '/nodes/:name',
    { schema: { summary: 'One node', response: { 200: ref('Node'), ...errors(404) } } },
    async (request, reply) => sendJson(reply, toApiNode(graph, graph.node(request.params.name))),
  );
  app.post<{ Params: NameParams; Querystring: { type: string } }>(
    '/nodes/:name',
    {
      schema: {
        summary: 'Add a node of type T named name',
        querystring: typeQuery,
        response: { 200: ref('Node'), ...errors(404, 409, 422) },
      },
    },
    async (request, reply) =>
      sendJson(reply, toApiNode(graph, graph.addNode(request.query.type, request.params.name))),
  );
  app.delete<{ Params: NameParams }>(
    '/nodes/:name',
    {
      schema: {
        summary: 'Remove a node; answers it as it was',
        response: { 200: ref('Node'), ...errors(404) },
      },
    },
    async (request, reply) => {
      const before = toApiNode(graph, graph.node(request.params.name));
      graph.removeNode(request.params.name);
      return sendJson(reply, before);
    },
  );
  app.get(
    '/connections',
    { schema: { summary: 'All connections', response: { 200: Type.Array(ref('Connection')) } } },
    async (_request, reply) => sendJson(reply, graph.connections().map(toApiConnection)),
  );
  app.patch<{ Body: ApiConnection }>(
    '/connections',
    {
      schema: {
        summary: "Link (replacing the sink's old source)",
        body: ConnectionSchema,
        response: { 200: ref('Connection'), ...errors(400, 404, 422) },
      },
    },
    async (request, reply) => {
      const { source, sink } = request.body;
      return sendJson(reply, toApiConnection(graph.link(fromApiPort(source), fromApiPort(sink))));
    },
  );
  app.delete<{ Body: ApiConnection }>(
    '/connections',
    {
      schema: {
        summary: 'Unlink; null if there was no such connection',
        body: ConnectionSchema,
        response: { 200: Type.Union([ref('Connection'), Type.Null()]), ...errors(400, 404, 422) },
      },
    },
    async (request, reply) => {
      const { source, sink } = request.body;
      const removed = graph.unlink(fromApiPort(source), fromApiPort(sink));
      return sendJson(reply, removed ? toApiConnection(removed) : null);
    },
  );

  // --- Newer routes --------------------------------------------------------------------------------
  app.get(
    '/status',
    {
      schema: {
        summary: 'Engine status: transport, clock, CPU load, underruns, audio output, tempo, OSC counters',
        response: { 200: ref('EngineStatus') },
      },
    },
    async (_request, reply) => {
      const oscServer = osc();
      return sendJson(reply, oscServer ? { ...engine.status(), osc: oscServer.status() } : engine.status());
    },
  );
  app.get(
    '/tempo',
    {
      schema: {
        summary: 'The engine tempo in beats per minute',
        response: { 200: Type.Object({ bpm: Type.Number() }) },
      },
    },
    async (_request, reply) => sendJson(reply, { bpm: graph.tempo }),
  );
  app.put<{ Body: { bpm: number } }>(
    '/tempo',
    {
      schema: {
        summary: 'Set the engine tempo (20…999 bpm); it lands at a block boundary, the beat phase carries on',
        body: Type.Object({ bpm: Type.Number({ description: 'Beats per minute, 20…999' }) }),
        response: { 200: Type.Object({ bpm: Type.Number() }), ...errors(422) },
      },
    },
    async (request, reply) => sendJson(reply, { bpm: graph.setTempo(request.body.bpm) }),
  );
  app.get<{ Querystring: { since?: string } }>(
    '/midi/out',
    {
      schema: {
        summary:
          'What MidiOutputNodes sent to the virtual output (port 0): the recent messages after `since`',
        description:
          'Poll with `?since=` the `next` of the previous answer. Up to 1024 recent messages are kept; `missed` ' +
          'counts those that fell out before you asked, `dropped` those the engine dropped because nobody ' +
          'read them. Live: the /ws `midiOut` messages.',
        querystring: Type.Object({
          since: Type.Optional(
            Type.String({ pattern: '^[0-9]{1,15}$', description: 'Sequence number already seen' }),
          ),
        }),
        response: {
          200: Type.Object({
            messages: Type.Array(
              Type.Object({
                seq: Type.Integer(),
                frame: Type.Number(),
                time: Type.Optional(Type.Number({ description: 'When the frame plays, Unix ms' })),
                data: Type.Array(Type.Integer()),
              }),
            ),
            next: Type.Integer(),
            missed: Type.Integer(),
            dropped: Type.Integer(),
          }),
        },
      },
    },
    async (request, reply) => sendJson(reply, engine.midiOut(Number(request.query.since ?? 0))),
  );
  app.get(
    '/types',
    {
      schema: {
        summary: 'Node types with their ports, from the node definitions',
        response: { 200: Type.Array(NodeTypeSchema) },
      },
    },
    async (_request, reply) =>
      sendJson(
        reply,
        engine.registry.names().map((type) => engine.registry.info(type)),
      ),
  );
  app.get<{ Params: { type: string } }>(
    '/types/:type',
    { schema: { summary: 'One node type', response: { 200: NodeTypeSchema, ...errors(404) } } },
    async (request, reply) => sendJson(reply, engine.registry.info(request.params.type)),
  );
  app.patch<{ Params: NameParams; Body: { name: string } }>(
    '/nodes/:name',
    {
      schema: {
        summary: 'Rename a node',
        body: Type.Object({ name: Type.String({ description: 'The new name' }) }),
        response: { 200: ref('Node'), ...errors(404, 409, 422) },
      },
    },
    async (request, reply) =>
      sendJson(reply, toApiNode(graph, graph.renameNode(request.params.name, request.body.name))),
  );
  const midiBody = Type.Union([MidiMessageSchema, Type.Array(MidiMessageSchema, { maxItems: 1024 })]);
  app.post<{ Body: { data: number[]; time?: number } | Array<{ data: number[]; time?: number }> }>(
    '/midi',
    {
      schema: {
        summary: 'Virtual MIDI in: raw bytes delivered to MidiInputNodes listening to the virtual port',
        body: midiBody,
        response: { 200: Type.Object({ sent: Type.Integer() }), ...errors(400, 422) },
      },
    },
    async (request, reply) => {
      const messages = Array.isArray(request.body) ? request.body : [request.body];
      // Bytes that are not MIDI (data without a status, a cut-off message) are refused whole and named,
      // rather than answered 200 and dropped silently inside the render worker.
      messages.forEach((message, index) => {
        try {
          parseMidiBytes(message.data);
        } catch (error) {
          const where = Array.isArray(request.body) ? `body/${index}/data` : 'body/data';
          throw new SynchrotronError('invalid', `${where}: ${(error as Error).message}`);
        }
      });
      for (const message of messages) engine.midi(message.data, message.time);
      return sendJson(reply, { sent: messages.length });
    },
  );

  // Routes that read their body as raw text (scripts; JSON values parsed here for clear errors).
  void app.register(async (raw) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

    const execute = async (request: FastifyRequest, reply: FastifyReply, structured: boolean) => {
      let script: string;
      try {
        script = scriptFromBody(request.body, request.headers['content-type']);
      } catch (error) {
        return sendJson(reply, errorBody(error as SynchrotronError), 400);
      }
      try {
        const result = runScript(engine.scriptHost(), script);
        return sendJson(reply, structured ? { results: result.results, text: result.text } : result.text);
      } catch (error) {
        return scriptError(reply, error);
      }
    };
    raw.post<{ Querystring: { format?: string } }>(
      '/execute',
      {
        schema: {
          summary:
            'Run Synchrolang (body: the script as plain text); answers the readable results as a JSON string',
          description:
            'With `?format=json` answers `{results: CommandResult[], text}` like POST /api/execute.',
          querystring: Type.Object({ format: Type.Optional(Type.Literal('json')) }),
          response: {
            200: Type.Union([Type.String(), Type.Object({ results: Type.Array(CommandResultSchema) })]),
            ...errors(400),
          },
        },
      },
      async (request, reply) => execute(request, reply, request.query.format === 'json'),
    );
    raw.post(
      '/api/execute',
      {
        schema: {
          summary: 'Run Synchrolang; answers structured results with positions',
          response: {
            200: Type.Object({ results: Type.Array(CommandResultSchema), text: Type.String() }),
            ...errors(400),
          },
        },
      },
      async (request, reply) => execute(request, reply, true),
    );
    raw.put<{ Params: NameParams }>(
      '/nodes/:name/value',
      {
        schema: {
          summary: "Set a DataNode's value (body: a JSON value: number, string, boolean, null or array)",
          response: { 200: ref('Node'), ...errors(400, 404, 422) },
        },
      },
      async (request, reply) => {
        const text = typeof request.body === 'string' ? request.body.trim() : '';
        if (text === '')
          return sendJson(reply, { detail: 'missing body: send the new value as JSON, e.g. 440' }, 400);
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (error) {
          return sendJson(reply, { detail: `the body is not valid JSON: ${(error as Error).message}` }, 400);
        }
        if (!isDataValue(value)) {
          const detail = `a node value must be a number, string, boolean, null or array of those: ${dataValueProblem(value)}`;
          return sendJson(reply, { detail, code: 'invalid' }, 422);
        }
        return sendJson(reply, toApiNode(graph, graph.setValue(request.params.name, value)));
      },
    );
  });
}

/** Why a parsed JSON value is not a data value (see isDataValue), naming the offending element. */
function dataValueProblem(value: unknown, where = 'the value', depth = 0): string {
  if (Array.isArray(value) && depth >= 64) return 'the value nests arrays more than 64 deep';
  if (typeof value === 'number') return `${where} is not a finite number`;
  if (value === undefined) return `${where} is missing (a hole in the array)`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!isDataValue(value[i], depth + 1)) return dataValueProblem(value[i], `${where}[${i}]`, depth + 1);
    }
  }
  return `${where} is ${value !== null && typeof value === 'object' ? 'an object' : `a ${typeof value}`}`;
}

/**
 * JSON routes read a JSON body whatever its content type says: `curl -d` sends form-encoded, and the
 * original server parsed such bodies as JSON. Invalid JSON is a 400 with the parser's reason.
 */
function installLenientJson(app: FastifyInstance): void {
  // text/plain and application/json go through the same parser: one behaviour, one kind of message.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    const text = String(body);
    // Routes that take no body ignore whatever a client sends along, as the original did.
    if (text.trim() === '' || !request.routeOptions.schema?.body) return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(
        Object.assign(new Error(`body is not valid JSON: ${(error as Error).message}`), { statusCode: 400 }),
      );
    }
  });
}
