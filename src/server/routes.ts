// The HTTP routes: the original's (SPEC §4) with their exact shapes, and the newer ones beside them.
// Every edit goes through the engine's Graph (which validates it and enforces the limits); every answer
// and error goes through http.ts.

import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiConnection } from '../api/protocol.js';
import { fromApiPort, toApiConnection, toApiNode, toApiNodes } from '../api/shapes.js';
import { SynchrotronError } from '../engine/errors.js';
import { type DataValue, isDataValue } from '../engine/types.js';
import { parseMidiBytes } from '../io/midi-host.js';
import type { LiveEngine } from './engine.js';
import { errorBody, scriptError, sendJson, sendJsonText } from './http.js';
import type { OscServer } from './osc.js';
import type { NodePositions } from './positions.js';
import {
  CommandResultSchema,
  ConnectionSchema,
  errors,
  MidiMessageSchema,
  NodeTypeSchema,
  ref,
} from './schemas.js';
import { exportGraph, runScript } from './script.js';

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

type NameParams = { name: string };

/** Query parameters that are not literal input values. */
const NOT_ARGS = new Set(['type', 'token']);

/**
 * Literal input values from a query (`POST /nodes/v?type=PatchNode&path=voice.syn&voices=16`): every
 * parameter but `type` and `token`, read as JSON when it is JSON (`16`, `true`, `[1,2]`), else as text.
 */
function argsFromQuery(query: Record<string, unknown>): Record<string, DataValue> | undefined {
  const args: Record<string, DataValue> = {};
  for (const [key, raw] of Object.entries(query)) {
    if (NOT_ARGS.has(key)) continue;
    if (typeof raw !== 'string') throw new SynchrotronError('invalid', `give \`${key}\` once`);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    if (!isDataValue(value)) value = raw;
    args[key] = value as DataValue;
  }
  return Object.keys(args).length > 0 ? args : undefined;
}

export function registerRoutes(
  app: FastifyInstance,
  engine: LiveEngine,
  positions: NodePositions,
  osc: () => OscServer | undefined = () => undefined,
): void {
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
    async (_request, reply) =>
      sendJsonText(
        reply,
        engine.graphJson('export', () => exportGraph(graph)),
      ),
  );
  app.get(
    '/nodes',
    { schema: { summary: 'All nodes', response: { 200: Type.Array(ref('Node')) } } },
    async (_request, reply) =>
      sendJsonText(
        reply,
        engine.graphJson('nodes', () => toApiNodes(graph)),
      ),
  );
  const typeQuery = Type.Object(
    { type: Type.String({ description: 'Node type, e.g. SineNode' }) },
    {
      additionalProperties: Type.String(),
      description:
        'Other parameters give inputs literal values (JSON, or text): `?type=PatchNode&path=voice.syn`, `?type=VoicesNode&patch=voice.syn&voices=16`.',
    },
  );
  app.post<{ Querystring: { type: string } }>(
    '/nodes',
    {
      schema: {
        summary: 'Add a node of type T with an invented name',
        querystring: typeQuery,
        response: { 200: ref('Node'), ...errors(404, 422) },
      },
    },
    async (request, reply) =>
      sendJson(
        reply,
        toApiNode(graph, graph.addNode(request.query.type, undefined, null, argsFromQuery(request.query))),
      ),
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
      sendJson(
        reply,
        toApiNode(
          graph,
          graph.addNode(request.query.type, request.params.name, null, argsFromQuery(request.query)),
        ),
      ),
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
  const PositionsSchema = Type.Record(Type.String(), Type.Object({ x: Type.Number(), y: Type.Number() }), {
    description: 'Node name → position in the editor (flow units).',
  });
  app.get(
    '/positions',
    {
      schema: {
        summary: 'Node positions in the editor (kept with the session, shared by every editor)',
        response: { 200: PositionsSchema },
      },
    },
    async (_request, reply) => sendJson(reply, positions.all()),
  );
  app.put<{ Body: Record<string, unknown> }>(
    '/positions',
    {
      schema: {
        summary:
          'Set positions of nodes ({name: {x, y}}, null forgets one); nodes the graph does not have are skipped',
        body: Type.Record(
          Type.String(),
          Type.Union([Type.Object({ x: Type.Number(), y: Type.Number() }), Type.Null()]),
        ),
        response: {
          200: Type.Object({
            changed: Type.Record(
              Type.String(),
              Type.Union([Type.Object({ x: Type.Number(), y: Type.Number() }), Type.Null()]),
            ),
            skipped: Type.Array(Type.String()),
          }),
          ...errors(422),
        },
      },
    },
    async (request, reply) => {
      return sendJson(reply, positions.set(request.body));
    },
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
  // --- Patch files (SPEC §7) ------------------------------------------------------------------------
  app.post(
    '/patches/reload',
    {
      schema: {
        summary: 'Read every patch file again and update the nodes made from them (as `reload` does)',
        description:
          'Each PatchNode and VoicesNode whose file (or a file it includes) changed is updated at one block boundary; inner nodes that did not change keep their state. `failed` lists nodes whose file no longer loads: they keep the version they have.',
        response: { 200: ref('ReloadReport') },
      },
    },
    async (_request, reply) => sendJson(reply, engine.reloadPatches()),
  );
  app.get<{ Querystring: { path: string } }>(
    '/patches',
    {
      schema: {
        summary:
          "A patch file's inner graph, read-only (for editors: the inside of a PatchNode or VoicesNode)",
        querystring: Type.Object({
          path: Type.String({ description: 'The .syn file, relative to the root (as a PatchNode names it)' }),
        }),
        response: { 200: ref('PatchView'), ...errors(404, 413, 422) },
      },
    },
    async (request, reply) => sendJson(reply, engine.patchView(request.query.path)),
  );
  app.get<{ Params: NameParams }>(
    '/nodes/:name/patch',
    {
      schema: {
        summary: 'The inner graph of the patch a PatchNode or VoicesNode plays, read-only',
        response: { 200: ref('PatchView'), ...errors(404, 422) },
      },
    },
    async (request, reply) => {
      const node = graph.node(request.params.name);
      const values = graph.structuralValues(node.name);
      const path =
        node.type === 'VoicesNode' ? values.patch : node.type === 'PatchNode' ? values.path : undefined;
      if (typeof path !== 'string' || path === '') {
        throw new SynchrotronError(
          'invalid',
          `\`${node.name}\` is a ${node.type}, which plays no patch file${node.type === 'PatchNode' || node.type === 'VoicesNode' ? ' (none given yet)' : ''}`,
        );
      }
      return sendJson(reply, engine.patchView(path));
    },
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
