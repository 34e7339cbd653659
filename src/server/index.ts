// The Synchrotron server: the live engine (render worker, audio output) behind the HTTP API of SPEC §4,
// the newer routes beside it, the WebSockets at /ws and /ws/audio, OpenAPI docs at /docs and the web UI.
// This file assembles the parts and owns the server's lifetime; who may call it and how much they may ask
// for is decided by the security module (src/io/security.ts) through guard.ts, the Graph and the host.

import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  Access,
  DEFAULT_LIMITS,
  generateToken,
  isLoopbackAddress,
  type OscRates,
  type ServerLimits,
} from '../io/security.js';
import { type EngineOptions, LiveEngine } from './engine.js';
import { installGuard } from './guard.js';
import { answerClientError, installErrors, installLenientJson, listenError, sendJson } from './http.js';
import { OscServer } from './osc.js';
import { registerRoutes } from './routes.js';
import { sharedSchemas } from './schemas.js';
import { patchScript, runScript } from './script.js';
import { registerSockets } from './sockets.js';
import { registerWeb } from './web.js';

export { HEALTH_TEXT } from './web.js';

export const DEFAULT_PORT = 2031;

export interface ServerOptions extends Omit<EngineOptions, 'limits'> {
  /** Address to bind, default 127.0.0.1. Anything but loopback requires a token. */
  host?: string;
  /** Port, default 2031; 0 picks a free one (tests). */
  port?: number;
  /** Bearer token checked on every request; generated when binding beyond loopback without one. */
  token?: string;
  /** Origins allowed beyond the server's own pages and loopback origins; `'*'` allows any (unsafe). */
  cors?: '*' | string[];
  /** Host names allowed beyond IP literals and localhost (`--allow-host`), e.g. a name on the LAN. */
  allowHosts?: string[];
  /** Limits on nodes, values, results, files and clients (default: DEFAULT_LIMITS). */
  limits?: Partial<ServerLimits>;
  /** Folder of the built web UI (default: dist/web of this package). */
  webRoot?: string;
  /** A patch script (contents of a .syn/.sui file) run at start-up. */
  patch?: string;
  /** The folder of that patch file, relative to the root: patch paths in it are relative to it. */
  patchDir?: string;
  /** Render from the start (default true). */
  start?: boolean;
  /** Largest request body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** UDP port for OSC (`--osc`); 0 picks a free one (tests); undefined: no OSC server. */
  osc?: number;
  /** OSC message and reply budgets (default: the security module's OSC_RATES). */
  oscRates?: Partial<OscRates>;
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

export async function createServer(options: ServerOptions = {}): Promise<SynchrotronServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? DEFAULT_PORT;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let token = options.token;
  if (!token && !isLoopbackAddress(host)) {
    token = generateToken();
    log(`binding ${host}: clients must send this token (Authorization: Bearer … or ?token=…): ${token}`);
  }
  const access = new Access({ token, cors: options.cors, allowHosts: options.allowHosts });
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...options.limits };

  const engine = await LiveEngine.create({
    ...options,
    limits,
    log,
    running: options.start !== false,
    // OscSendNode may send beyond this machine only when the server itself was opened beyond it.
    oscSend: isLoopbackAddress(host) ? 'loopback' : 'any',
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
    installGuard(app, access);
    installErrors(app);
    installLenientJson(app);
    await app.register(fastifySwagger, {
      openapi: {
        info: {
          title: 'Synchrotron',
          version: '0.1.0',
          description:
            'A graph-based live audio engine. The routes of the original Python server (SPEC §4) plus newer ones. ' +
            'WebSocket events at /ws, master audio stream at /ws/audio (see src/api/protocol.ts).',
        },
      },
    });
    await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
    await app.register(fastifyWebsocket, { options: { maxPayload: 1024 * 1024 } });
    registerWeb(app, options.webRoot);
    registerRoutes(app, engine, () => osc);
    registerSockets(app, engine, { log, maxClients: limits.maxClients });

    if (options.patch !== undefined) {
      runScript({ ...engine.scriptHost(), baseDir: options.patchDir }, patchScript(options.patch));
      // A patch starts rendering, unless asked to start stopped (`serve --stopped PATCH`).
      if (options.start !== false) engine.start();
    }
    await app.listen({ host, port });
    if (options.osc !== undefined) {
      osc = await OscServer.listen({ engine, port: options.osc, host, access, rates: options.oscRates, log });
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
