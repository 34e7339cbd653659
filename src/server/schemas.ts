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
  },
  { $id: 'NodeType' },
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
];

export const ref = (id: string) => Type.Ref(id);

/** Standard error answers for a route's OpenAPI entry. */
export function errors(...codes: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const code of codes) out[code] = Type.Ref('Error');
  return out;
}
