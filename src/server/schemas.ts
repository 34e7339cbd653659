// TypeBox schemas of the HTTP API: they validate request bodies and document every route at /docs.
// Shapes are those of SPEC §4 (and src/api/protocol.ts), letter for letter.

import { type TSchema, Type } from '@sinclair/typebox';

export const PortSchema = Type.Object(
  { node_name: Type.String(), port_name: Type.String() },
  { $id: 'Port', description: 'A port: `{"node_name": "sine", "port_name": "out"}`' },
);

const PortRef = Type.Ref('Port');

export const InputSchema = Type.Object(
  {
    node_name: Type.String(),
    port_name: Type.String(),
    type: Type.Union([Type.Literal('StreamInput'), Type.Literal('DataInput'), Type.Literal('MidiInput')]),
    source: Type.Union([PortRef, Type.Null()]),
  },
  { $id: 'Input' },
);

export const OutputSchema = Type.Object(
  {
    node_name: Type.String(),
    port_name: Type.String(),
    type: Type.Union([Type.Literal('StreamOutput'), Type.Literal('DataOutput'), Type.Literal('MidiOutput')]),
    sinks: Type.Array(PortRef),
  },
  { $id: 'Output' },
);

export const NodeSchema = Type.Object(
  {
    name: Type.String(),
    type: Type.String(),
    inputs: Type.Array(Type.Ref('Input')),
    outputs: Type.Array(Type.Ref('Output')),
    exports: Type.Record(Type.String(), Type.Unknown()),
    args: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description:
          "Beside SPEC §4: literal values given to inputs when the node was made (a PatchNode's `path`); absent when none.",
      }),
    ),
  },
  { $id: 'Node' },
);

export const ConnectionSchema = Type.Object({ source: PortRef, sink: PortRef }, { $id: 'Connection' });

export const ErrorSchema = Type.Object(
  {
    detail: Type.String({ description: 'What was wrong.' }),
    code: Type.Optional(Type.String()),
    line: Type.Optional(Type.Integer()),
    column: Type.Optional(Type.Integer()),
    suggestion: Type.Optional(Type.String()),
  },
  { $id: 'Error', additionalProperties: true },
);

export const StatusSchema = Type.Object(
  {
    running: Type.Boolean(),
    sampleRate: Type.Number(),
    blockSize: Type.Number(),
    clock: Type.Number({ description: 'Frames rendered (global clock).' }),
    cpuLoad: Type.Number({ description: 'Render time ÷ block time over the last second.' }),
    underruns: Type.Number({ description: 'Blocks not ready when the output needed them, since start-up.' }),
    audio: Type.String({ description: "Audio output: a device name or 'none'." }),
    latency: Type.Number({
      description: 'Render-ahead now, in seconds: grows after underruns, shrinks back when calm.',
    }),
    reason: Type.Optional(
      Type.String({
        description:
          'Why the engine is not running although nobody stopped it (render worker failures, a session restored after an unclean exit).',
      }),
    ),
    tempo: Type.Number({ description: 'The engine tempo, beats per minute.' }),
    osc: Type.Optional(
      Type.Object(
        {
          port: Type.Integer(),
          packets: Type.Integer({ description: 'Datagrams received.' }),
          messages: Type.Integer({ description: 'Messages carried out or delivered to nodes.' }),
          refused: Type.Object(
            {
              malformed: Type.Integer({
                description: 'Not OSC: truncated, bad type tags, nested too deep …',
              }),
              huge: Type.Integer({ description: 'Larger than the packet limit.' }),
              unauthenticated: Type.Integer({ description: 'Missing or wrong token (no reply is sent).' }),
              peer: Type.Integer({ description: 'From beyond this machine without a token in force.' }),
              rateLimited: Type.Integer(),
            },
            { additionalProperties: true },
          ),
          replies: Type.Integer(),
          repliesDropped: Type.Integer({
            description: "Replies not sent: the sender's reply budget was spent.",
          }),
          scheduled: Type.Integer({ description: 'Bundles waiting for their time.' }),
          late: Type.Integer({ description: 'Scheduled messages applied after their frame was rendered.' }),
        },
        { description: 'The OSC server (serve --osc), when it runs.', additionalProperties: true },
      ),
    ),
    voiceThreads: Type.Optional(
      Type.Object(
        {
          workersReady: Type.Boolean({
            description: 'The voice workers have started: a VoicesNode added now splits at its first block.',
          }),
          split: Type.Integer({ description: 'VoicesNodes whose voices render on several threads now.' }),
        },
        { description: 'Voices on threads (serve --split-voices), when on.', additionalProperties: true },
      ),
    ),
  },
  { $id: 'EngineStatus' },
);

export const CommandResultSchema = Type.Object(
  {
    command: Type.String(),
    kind: Type.String(),
    value: Type.Unknown(),
    text: Type.String(),
    line: Type.Integer(),
    column: Type.Integer(),
  },
  { $id: 'CommandResult' },
);

const PortSpecInfo = Type.Object(
  {
    name: Type.String(),
    kind: Type.String(),
    description: Type.String(),
    unit: Type.Optional(Type.String()),
    default: Type.Optional(Type.Unknown()),
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
  },
  { additionalProperties: true },
);

export const NodeTypeSchema = Type.Object(
  {
    type: Type.String(),
    category: Type.String(),
    description: Type.String(),
    inputs: Type.Array(PortSpecInfo),
    outputs: Type.Array(PortSpecInfo),
    dynamic: Type.Optional(
      Type.Boolean({
        description:
          "True when each node of the type has ports of its own beyond these (a PatchNode's inlets and outlets): GET /nodes shows them.",
      }),
    ),
  },
  { $id: 'NodeType' },
);

const PortInfoSchema = Type.Object({
  name: Type.String(),
  kind: Type.String(),
  default: Type.Optional(Type.Unknown()),
});

export const PatchViewSchema = Type.Object(
  {
    path: Type.String(),
    script: Type.String({ description: 'The text of the file.' }),
    nodes: Type.Array(Type.Ref('Node')),
    connections: Type.Array(Type.Ref('Connection')),
    inlets: Type.Array(PortInfoSchema, { description: 'Its InletNodes: the inputs of a node made from it.' }),
    outlets: Type.Array(PortInfoSchema, {
      description: 'Its OutletNodes: the outputs of a node made from it.',
    }),
    weight: Type.Integer({ description: 'Nodes it expands to (nested patches and voices included).' }),
    files: Type.Array(Type.String(), { description: 'Every file it is built from, itself first.' }),
    revision: Type.String({ description: 'Changes whenever the text of one of those files does.' }),
  },
  { $id: 'PatchView' },
);

export const ReloadReportSchema = Type.Object(
  {
    reloaded: Type.Array(Type.String(), { description: "Nodes updated to their files' new text." }),
    failed: Type.Array(Type.Object({ node: Type.String(), message: Type.String() }), {
      description: 'Nodes whose file no longer loads (they keep the version they have), and why.',
    }),
  },
  { $id: 'ReloadReport' },
);

export const MidiMessageSchema = Type.Object({
  data: Type.Array(Type.Integer({ minimum: 0, maximum: 255 }), { minItems: 1, maxItems: 1024 }),
  time: Type.Optional(Type.Number({ description: 'Sender time in ms (performance.now()).' })),
});

export const sharedSchemas: TSchema[] = [
  PortSchema,
  InputSchema,
  OutputSchema,
  NodeSchema,
  ConnectionSchema,
  ErrorSchema,
  StatusSchema,
  CommandResultSchema,
  NodeTypeSchema,
  PatchViewSchema,
  ReloadReportSchema,
];

export const ref = (id: string) => Type.Ref(id);

/** Standard error answers for a route's OpenAPI entry. */
export function errors(...codes: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const code of codes) out[code] = Type.Ref('Error');
  return out;
}
