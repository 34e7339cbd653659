// The shared conformance suite: runs over EVERY node type in the registry, so MIDI nodes and any node
// added later are checked without a line here. Each type is rendered through the real engine with typical
// inputs (derived from its port declarations), with audio-rate inputs, across every block size, and while
// its neighbours are relinked, unlinked and removed.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toApiNode } from '../../src/api/shapes.js';
import type { NodeDefinition, PortSpec } from '../../src/engine/definition.js';
import type { DataValue } from '../../src/engine/types.js';
import { createRegistry } from '../../src/synchrotron.js';
import { RATE, type Rig, rigsCleanedAfterEachTest } from './render.js';

const registry = createRegistry();
const types = registry.names();
const definitions = new Map(registry.definitions().map((d) => [d.type, d]));

const trackedRig = rigsCleanedAfterEachTest();
function make(blockSize = 128): Rig {
  const r = trackedRig(blockSize);
  // A short MIDI file (C4 E4 G4, half a second each at 120 bpm) for nodes that read one.
  writeFileSync(join(r.root, 'conformance.mid'), standardMidiFile([60, 64, 67]));
  // A small voice patch for nodes that play one (PatchNode, VoicesNode): a gated sine with a shared level.
  writeFileSync(join(r.root, 'conformance.syn'), CONFORMANCE_PATCH);
  return r;
}

const CONFORMANCE_PATCH = `new InletNode frequency
new InletNode(default: 1) gate
new InletNode(default: 0.5) level
new SineNode osc
new MultiplyNode vca
new MultiplyNode amp
new OutletNode out
link frequency.out -> osc.frequency
link osc.out -> vca.a
link gate.out -> vca.b
link vca.out -> amp.a
link level.out -> amp.b
link amp.out -> out.input
`;

/** Format-0 SMF: each note on for 480 ticks (division 480 → 0.5 s at the default tempo). */
function standardMidiFile(notes: number[]): Uint8Array {
  const track: number[] = [];
  for (const note of notes) track.push(0x00, 0x90, note, 100, 0x83, 0x60, 0x80, note, 64); // delta 480 = 0x83 0x60
  track.push(0x00, 0xff, 0x2f, 0x00);
  const u32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  return Uint8Array.from([
    ...[0x4d, 0x54, 0x68, 0x64],
    ...u32(6),
    0,
    0,
    0,
    1,
    0x01,
    0xe0,
    ...[0x4d, 0x54, 0x72, 0x6b],
    ...u32(track.length),
    ...track,
  ]);
}

const midiSourceType = registry
  .definitions()
  .find(
    (d) =>
      Object.values(d.outputs).some((p) => p.kind === 'midi') &&
      !Object.values(d.inputs).some((p) => p.kind === 'midi') &&
      'path' in d.inputs,
  )?.type;
const midiSinkType = registry
  .definitions()
  .find((d) => Object.values(d.inputs).some((p) => p.kind === 'midi'))?.type;

/** A typical constant for a stream input, from its unit and default. */
function typicalNumber(port: string, spec: PortSpec): number {
  if (spec.unit === 'Hz') return 440;
  if (spec.unit === 'semitones') return 2;
  if (typeof spec.default === 'number' && spec.default !== 0) return spec.default;
  if (spec.unit === 's') return 0.05;
  if (port === 'b' || port === 'max') return 0.5;
  return typeof spec.default === 'number' ? spec.default : 0.25;
}

/** A typical value for a data input. */
function typicalData(port: string, spec: PortSpec): DataValue | undefined {
  if (spec.unit === '.syn') return 'conformance.syn'; // a patch file (PatchNode, VoicesNode)
  if (Array.isArray(spec.default)) return [220, 330, 440];
  if (port === 'path' && typeof spec.default !== 'string') return 'conformance.mid';
  if (typeof spec.default === 'boolean') return true;
  return undefined; // its default
}

/**
 * Adds the node under test (`dut`) and a source for each input: a DataNode for data and constant inputs,
 * a ClockNode for triggers, a clocked SequenceNode of [1, 0] for gates (held 0.25 s, released 0.25 s), a
 * MIDI file player for MIDI; and a sink for each output. Returns the names of the neighbours.
 */
function wire(
  r: Rig,
  definition: NodeDefinition,
  options: { audioRate?: boolean; suffix?: string } = {},
): string[] {
  const s = r.s;
  const suffix = options.suffix ?? '';
  const neighbours: string[] = [];
  if (!s.graph.hasNode('dut')) {
    if (definition.holdsValue) s.addValue(1, 'dut');
    else s.add(definition.type, 'dut');
  }
  // Structural inputs first: they may decide the node's other ports (a PatchNode's inlets and outlets).
  const structural = Object.entries(definition.inputs).filter(([, spec]) => spec.structural);
  // Then the node's own other inputs, as those values made them.
  let ports = structural;
  let own = false;
  for (let index = 0; ; index++) {
    if (index === ports.length) {
      if (own) break;
      own = true;
      const rest = Object.entries(s.graph.node('dut').inputs).filter(
        ([port]) => !structural.some(([p]) => p === port),
      );
      ports = [...structural, ...rest];
      if (index === ports.length) break;
    }
    const [port, spec] = ports[index];
    const source = `src_${port}${suffix}`;
    if (spec.kind === 'midi') {
      if (!midiSourceType) continue;
      s.add(midiSourceType, source);
      s.addValue('conformance.mid', `${source}_path`);
      s.link(`${source}_path.out`, `${source}.path`);
      neighbours.push(`${source}_path`);
      s.link(`${source}.out`, `dut.${port}`);
    } else if (spec.kind === 'stream' && spec.unit === 'trigger') {
      s.add('ClockNode', source);
      s.addValue(4, `${source}_f`);
      s.link(`${source}_f.out`, `${source}.frequency`);
      neighbours.push(`${source}_f`);
      s.link(`${source}.out`, `dut.${port}`);
    } else if (spec.kind === 'stream' && spec.unit === 'gate') {
      // A gate is held: 1 for a quarter second, 0 for the next, from a sequencer stepped by a clock.
      s.add('SequenceNode', source);
      s.addValue([1, 0], `${source}_steps`);
      s.add('ClockNode', `${source}_clock`);
      s.addValue(4, `${source}_f`);
      s.link(`${source}_f.out`, `${source}_clock.frequency`);
      s.link(`${source}_clock.out`, `${source}.step`);
      s.link(`${source}_steps.out`, `${source}.sequence`);
      neighbours.push(`${source}_steps`, `${source}_clock`, `${source}_f`);
      s.link(`${source}.out`, `dut.${port}`);
    } else if (spec.kind === 'stream' && options.audioRate) {
      // typical ± 10 %, as noise: every frame different.
      const typical = typicalNumber(port, spec);
      s.add('UniformRandomNode', source);
      s.addValue(typical * 0.9, `${source}_lo`);
      s.addValue(typical * 1.1, `${source}_hi`);
      s.link(`${source}_lo.out`, `${source}.min`);
      s.link(`${source}_hi.out`, `${source}.max`);
      neighbours.push(`${source}_lo`, `${source}_hi`);
      s.link(`${source}.out`, `dut.${port}`);
    } else if (spec.kind === 'stream') {
      s.addValue(typicalNumber(port, spec), source);
      s.link(`${source}.out`, `dut.${port}`);
    } else {
      const value = typicalData(port, spec);
      if (value === undefined) continue;
      s.addValue(value, source);
      s.link(`${source}.out`, `dut.${port}`);
    }
    neighbours.push(source);
  }
  for (const [port, spec] of Object.entries(s.graph.node('dut').outputs)) {
    const sink = `sink_${port}${suffix}`;
    if (spec.kind === 'midi') {
      if (!midiSinkType) continue;
      s.add(midiSinkType, sink);
      const input = Object.entries(definitions.get(midiSinkType)!.inputs).find(
        ([, p]) => p.kind === 'midi',
      )![0];
      s.link(`dut.${port}`, `${sink}.${input}`);
    } else {
      s.add('DebugNode', sink); // stream → data delivers the block; data passes as it is
      s.link(`dut.${port}`, `${sink}.input`);
    }
    neighbours.push(sink);
  }
  return neighbours;
}

/** The stream outputs of the node under test: its own ports (a PatchNode's are its patch's outlets). */
const streamOutputs = (r: Rig) =>
  Object.entries(r.s.graph.node('dut').outputs)
    .filter(([, spec]) => spec.kind === 'stream')
    .map(([port]) => `dut.${port}`);

/**
 * Checks that each stream output is finite and within its unit's range. `noisy`: inputs jump every frame;
 * a band-limited oscillator whose edge chatters (pwm noise) may then overshoot more than the usual ~9 %.
 */
function expectSane(r: Rig, definition: NodeDefinition, outputs: Float32Array[], noisy = false) {
  const overshoot = noisy ? 2 : 1.25;
  const ports = Object.entries(r.s.graph.node('dut').outputs).filter(([, spec]) => spec.kind === 'stream');
  ports.forEach(([port, spec], i) => {
    const out = outputs[i];
    let min = Infinity;
    let max = -Infinity;
    let finite = true;
    for (const x of out) {
      if (!Number.isFinite(x)) finite = false;
      if (x < min) min = x;
      if (x > max) max = x;
    }
    const what = `${definition.type}.${port}`;
    expect(finite, `${what} is finite`).toBe(true);
    expect(Math.max(-min, max), `${what} is bounded`).toBeLessThan(1e5);
    if (spec.unit === '-1…1') {
      expect(min, what).toBeGreaterThanOrEqual(-overshoot); // band-limited edges overshoot a little
      expect(max, what).toBeLessThanOrEqual(overshoot);
    }
    if (spec.unit === '0…1' || spec.unit === '0/1') {
      expect(min, what).toBeGreaterThanOrEqual(0);
      expect(max, what).toBeLessThanOrEqual(1);
    }
    if (spec.unit === 'trigger')
      expect(
        out.every((x) => x === 0 || x === 1),
        `${what} is 0 or 1`,
      ).toBe(true);
  });
}

function faults(r: Rig) {
  return r.events.filter((e) => e.kind === 'fault');
}

describe.each(types)('%s conforms', (type) => {
  const definition = definitions.get(type)!;

  it('lists its ports as its definition declares them, with JSON-serialisable exports', () => {
    const info = registry.info(type);
    expect(info.inputs.map((p) => p.name)).toEqual(Object.keys(definition.inputs));
    expect(info.outputs.map((p) => p.name)).toEqual(Object.keys(definition.outputs));
    expect(type).toMatch(/^[A-Z][A-Za-z0-9]*Node$/);
    for (const port of [...info.inputs, ...info.outputs]) {
      expect(port.name).toMatch(/^[a-z][A-Za-z0-9]*$/); // lowerCamelCase
      expect(port.description.length, `${type}.${port.name} has a description`).toBeGreaterThan(0);
    }
    expect(definition.description.length).toBeGreaterThan(0);
    const r = make();
    wire(r, definition);
    const node = r.s.graph.node('dut');
    const api = toApiNode(r.s.graph, node);
    const kindName = { stream: 'Stream', data: 'Data', midi: 'Midi' } as const;
    // The API shows the node's own ports: its type's, or (types with `ports`) what its values made.
    expect(api.inputs.map((p) => [p.port_name, p.type])).toEqual(
      Object.entries(node.inputs).map(([name, spec]) => [name, `${kindName[spec.kind]}Input`]),
    );
    expect(api.outputs.map((p) => [p.port_name, p.type])).toEqual(
      Object.entries(node.outputs).map(([name, spec]) => [name, `${kindName[spec.kind]}Output`]),
    );
    if (!definition.ports) {
      expect(node.inputs).toBe(definition.inputs);
      expect(node.outputs).toBe(definition.outputs);
    }
    for (const [port, spec] of [...Object.entries(node.inputs), ...Object.entries(node.outputs)]) {
      expect(port).toMatch(/^[a-z][A-Za-z0-9]*$/);
      expect(spec.description.length, `${type}.${port} has a description`).toBeGreaterThan(0);
    }
    expect(info.dynamic === true).toBe(definition.ports !== undefined);
    expect(JSON.parse(JSON.stringify(api.exports))).toEqual(api.exports);
    // The JSON form of the type (GET /types, `synchrotron nodes`) is plain data.
    expect(JSON.parse(JSON.stringify(info))).toEqual(info);
  });

  it('renders 1 s with typical inputs: finite, bounded, no fault, JSON-serialisable exports', async () => {
    const r = make();
    wire(r, definition);
    await r.s.ready(); // files that structural inputs name (the MIDI source) are read first
    r.s.start();
    const outputs = r.capture(streamOutputs(r), RATE);
    r.s.stop();
    expect(faults(r)).toEqual([]);
    expectSane(r, definition, outputs);
    const exports = r.s.graph.node('dut').exports;
    expect(JSON.parse(JSON.stringify(exports))).toEqual(exports);
  });

  it('renders 1 s with audio-rate (noisy) inputs: finite, bounded, no fault', async () => {
    const r = make();
    wire(r, definition, { audioRate: true });
    await r.s.ready();
    const outputs = r.capture(streamOutputs(r), RATE);
    expect(faults(r)).toEqual([]);
    expectSane(r, definition, outputs, true);
  });

  it('renders with every block size from 16 to 4096', async () => {
    for (let blockSize = 16; blockSize <= 4096; blockSize *= 2) {
      const r = make(blockSize);
      wire(r, definition);
      await r.s.ready();
      const outputs = r.capture(streamOutputs(r), Math.max(2 * blockSize, RATE / 8));
      expect(faults(r), `block size ${blockSize}`).toEqual([]);
      expectSane(r, definition, outputs);
    }
  });

  it('renders the same samples with block sizes 64 and 256 (to float rounding)', async () => {
    const render = async (blockSize: number) => {
      const r = make(blockSize);
      wire(r, definition);
      await r.s.ready();
      return r.capture(streamOutputs(r), 16384);
    };
    const small = await render(64);
    const large = await render(256);
    small.forEach((out, i) => {
      // Rotator oscillators restart from the exact phase each block: rounding differs by ~1e-7.
      let difference = 0;
      for (let j = 0; j < out.length; j++) difference = Math.max(difference, Math.abs(out[j] - large[i][j]));
      expect(difference, `${type} output ${i}: largest difference`).toBeLessThan(1e-4);
    });
  });

  it('survives relinking, unlinking and removing its neighbours while rendering', () => {
    const r = make();
    const s = r.s;
    const first = wire(r, definition);
    // Its stream outputs as they are now (a PatchNode without its patch has none).
    const check = () => expectSane(r, definition, r.capture(streamOutputs(r), 2048), true);
    check();
    // Unlink every input and output (a link gone already went with its port: a PatchNode without its
    // patch has no inlets or outlets).
    const still = (c: { sink: { node: string; port: string } }) => s.graph.sourceOf(c.sink) === c;
    for (const c of s.graph.connections())
      if ((c.sink.node === 'dut' || c.source.node === 'dut') && still(c)) s.unlink(c.source, c.sink);
    check();
    // Relink to a fresh set of neighbours, audio-rate this time (replacing nothing: all inputs are free).
    const second = wire(r, definition, { audioRate: true, suffix: '2' });
    check();
    // Relink the first set over the second (replacing connections), then remove the second set.
    for (const c of s.graph.connections()) if (c.sink.node === 'dut' && still(c)) s.unlink(c.source, c.sink);
    const third = wire(r, definition, { suffix: '3' });
    for (const name of second) if (s.graph.hasNode(name)) s.remove(name);
    check();
    // Remove every neighbour while it renders, then the node itself; the engine renders on.
    for (const name of [...first, ...third]) if (s.graph.hasNode(name)) s.remove(name);
    check();
    s.remove('dut');
    s.renderFrames(1024);
    expect(faults(r)).toEqual([]);
    expect(r.events.filter((e) => e.kind === 'warning' && /failed/.test(e.message))).toEqual([]);
  });
});
