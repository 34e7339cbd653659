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
import { NodePositions } from './positions.js';
import { registerRoutes } from './routes.js';
import { sharedSchemas } from './schemas.js';
import { exportGraph, patchParts, runScript } from './script.js';
import { SessionFile, SessionKeeper, type SessionStart } from './session.js';
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
  /**
   * A session file (`--session`): the graph, values, positions and transport are restored from it when it
   * exists and saved to it within a second of every change. See src/server/session.ts.
   */
  session?: string;
  /** With `session`: start with an empty graph; the session there is kept as `*.previous.sui`. */
  fresh?: boolean;
  /** UDP port for OSC (`--osc`); 0 picks a free one (tests); undefined: no OSC server. */
  osc?: number;
  /** OSC message and reply budgets (default: the security module's OSC_RATES). */
  oscRates?: Partial<OscRates>;
}

export interface SynchrotronServer {
  app: FastifyInstance;
  engine: LiveEngine;
  /** Node positions (the editor's layout), kept with the session. */
  positions: NodePositions;
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

  // A session decides what the engine starts with (and whether it starts stopped, saying why).
  const sessionFile = options.session !== undefined ? new SessionFile(options.session) : undefined;
  let start: SessionStart | undefined;
  if (sessionFile) {
    start = await sessionFile.start({
      replace: options.patch !== undefined ? 'patch' : options.fresh ? 'fresh' : undefined,
      stopped: options.start === false,
    });
    for (const note of start.notes) log(note);
  }
  const running = start ? start.running : options.start !== false;

  const engine = await LiveEngine.create({
    ...options,
    limits,
    log,
    running,
    reservedPaths: [...(options.reservedPaths ?? []), ...(sessionFile?.reservedPaths() ?? [])],
    // OscSendNode may send beyond this machine only when the server itself was opened beyond it.
    oscSend: isLoopbackAddress(host) ? 'loopback' : 'any',
  });
  const positions = new NodePositions(engine.graph);
  let keeper: SessionKeeper | undefined;
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
    registerRoutes(app, engine, positions, () => osc);
    registerSockets(app, engine, positions, { log, maxClients: limits.maxClients });

    if (options.patch !== undefined) {
      const patch = patchParts(options.patch);
      runScript({ ...engine.scriptHost(), baseDir: options.patchDir }, patch.script);
      if (patch.positions) positions.set(onlyExisting(engine, patch.positions));
      // A patch starts rendering, unless asked to start stopped (`serve --stopped PATCH`).
      if (options.start !== false) engine.start();
    }
    if (sessionFile && start) {
      const session = sessionFile;
      keeper = new SessionKeeper(
        session,
        () => ({
          // The export's JSON is cached per graph revision (GET /export uses it too).
          script: JSON.parse(engine.graphJson('export', () => exportGraph(engine.graph))) as string,
          positions: positions.all(),
          running: engine.running,
        }),
        log,
      );
      if (start.script !== undefined) restoreSession(engine, positions, session, start, log);
      if (start.reason) engine.setReason(start.reason);
      // From now on every change is saved; this first save marks the session as in use (open).
      const changed = () => keeper?.changed();
      engine.graph.on({ batch: changed });
      positions.onChange(changed);
      engine.onMessage((message) => {
        if (message.type === 'transport') changed();
      });
      await keeper.saveNow();
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
    // A server that could not start closes its session cleanly: the next start restores it as it was.
    await keeper?.close().catch(() => {});
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
    positions,
    url: `http://${urlHost}:${actualPort}`,
    token,
    osc,
    close() {
      closing ??= (async () => {
        await osc?.close();
        await app.close();
        // The last save marks the session closed cleanly: the next start restores it as it is.
        await keeper?.close().catch((error: Error) => log(`session: last save failed: ${error.message}`));
        await engine.close();
      })();
      return closing;
    },
  };
}

/** Positions of nodes the graph has (a patch's header may name others). */
function onlyExisting(engine: LiveEngine, positions: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  for (const [name, position] of Object.entries(positions))
    if (engine.graph.hasNode(name)) out[name] = position;
  return out;
}

/**
 * Rebuilds the session's graph, with the session's marker file in place meanwhile, so a server that dies
 * doing it does not try again at its next start. A session that no longer loads (a node type gone, a file
 * damaged) is kept aside, never overwritten, and the server starts empty and stopped, saying where it is.
 */
function restoreSession(
  engine: LiveEngine,
  positions: NodePositions,
  file: SessionFile,
  start: SessionStart,
  log: (line: string) => void,
): void {
  try {
    file.restoring(() => runScript(engine.scriptHost(), start.script ?? ''));
  } catch (error) {
    const aside = file.keepAside('unreadable');
    const reason = `the session could not be restored (${(error as Error).message}); it is kept as ${aside} and the graph is empty`;
    log(`session: ${reason}`);
    start.reason = reason;
    engine.stop();
    return;
  }
  positions.set(onlyExisting(engine, start.positions));
  log(`session: ${engine.graph.size} nodes, ${engine.running ? 'rendering' : 'stopped'}`);
}
