// Names that are also properties of JavaScript's built-in objects (`__proto__`, `constructor`, `toString`,
// `valueOf`, `length` …) are ordinary names everywhere: a port so named does not exist, a node so named
// is a node like any other, a type so named is unknown. Every lookup of nodes, ports and types is
// own-property only. Drawn at random across the library, Synchrolang and the HTTP routes.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SynchrotronError } from '../src/engine/errors.js';
import { Synchrotron } from '../src/index.js';
import { parseSui, SynchrolangError } from '../src/lang/index.js';
import type { SynchrotronServer } from '../src/server/index.js';
import { request, startServer } from './server/helpers.js';

const BUILT_INS = [
  ...new Set(
    [
      Object.prototype,
      Function.prototype,
      Array.prototype,
      String.prototype,
      Number.prototype,
      Boolean.prototype,
      Promise.prototype,
      Error.prototype,
      Object,
      Function,
    ].flatMap((o) => Object.getOwnPropertyNames(o)),
  ),
  '__proto__',
  'prototype',
];
const builtIn = fc.constantFrom(...BUILT_INS);
/** Those that are valid node names (a lower-case start): `constructor`, `toString`, `valueOf`, `length`… */
const NODE_NAMES = BUILT_INS.filter((name) => /^(?:[a-z]|_[a-z])[A-Za-z0-9_]*$/.test(name));
const nodeName = fc.constantFrom(...NODE_NAMES);
/** Global constructors as type names: `Object`, `Array`, `Function` are no node types. */
const typeName = fc.constantFrom(
  'Object',
  'Array',
  'Function',
  'Error',
  'Promise',
  'Map',
  'Symbol',
  ...BUILT_INS,
);

function patch(): Synchrotron {
  const s = new Synchrotron();
  s.execute('new SineNode osc\nnew PlaybackNode out\nnew 440 freq\nlink freq.out -> osc.frequency');
  return s;
}

function snapshot(s: Synchrotron) {
  return JSON.stringify({
    nodes: s.graph.nodes().map((n) => [n.name, n.type, n.value]),
    links: s.graph.connections(),
  });
}

/** Runs `fn`; it must throw a SynchrotronError (any code), and change nothing. */
function refusedUnchanged(s: Synchrotron, fn: () => unknown): SynchrotronError {
  const before = snapshot(s);
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(SynchrotronError);
  expect(snapshot(s)).toBe(before);
  return error as SynchrotronError;
}

describe('built-in property names are no ports, types or variables', () => {
  it('the graph: link, unlink, port lookups refuse them and change nothing', () => {
    fc.assert(
      fc.property(builtIn, builtIn, (a, b) => {
        const s = patch();
        refusedUnchanged(s, () => s.graph.link({ node: 'osc', port: a }, { node: 'out', port: b }));
        refusedUnchanged(s, () => s.graph.link({ node: 'osc', port: 'out' }, { node: 'out', port: b }));
        refusedUnchanged(s, () => s.graph.link({ node: 'osc', port: a }, { node: 'out', port: 'left' }));
        refusedUnchanged(s, () =>
          s.graph.unlink({ node: 'freq', port: a }, { node: 'osc', port: 'frequency' }),
        );
        refusedUnchanged(s, () => s.graph.unlinkPort({ node: 'osc', port: a }));
        refusedUnchanged(s, () => s.graph.port({ node: 'osc', port: a }, 'input'));
        expect(s.graph.registry.port('SineNode', a, 'input')).toBeUndefined();
        expect(s.graph.registry.port('SineNode', a, 'output')).toBeUndefined();
        expect(s.renderer.streamOutput({ node: 'osc', port: a })).toBeUndefined();
        // The real link is still there and still unlinks.
        expect(
          s.graph.unlink({ node: 'freq', port: 'out' }, { node: 'osc', port: 'frequency' }),
        ).not.toBeNull();
      }),
    );
  });

  it('types and variables: unknown, whatever Object.prototype holds', () => {
    fc.assert(
      fc.property(typeName, (type) => {
        const s = patch();
        expect(refusedUnchanged(s, () => s.graph.addNode(type, 'x')).code).toBe('unknown_type');
        expect(() => s.graph.registry.info(type)).toThrow(SynchrotronError);
        expect(s.graph.registry.has(type)).toBe(false);
      }),
    );
    fc.assert(
      fc.property(builtIn, (name) => {
        const s = patch();
        expect(() => s.execute(`eval $${name}`)).toThrow(SynchrolangError);
      }),
    );
  });

  it('Synchrolang: link, unlink and eval of such ports are errors at the port, never accepted', () => {
    fc.assert(
      fc.property(nodeName, nodeName, (a, b) => {
        const s = patch();
        for (const script of [
          `link osc.${a} -> out.${b}`,
          `link osc.out -> out.${b}`,
          `unlink osc.${a}`,
          `eval osc.${a}`,
          `unlink osc.${a} -> out.left`,
        ]) {
          const error = refusedUnchanged(s, () => s.execute(script)) as SynchrolangError;
          expect(error, script).toBeInstanceOf(SynchrolangError);
          expect(error.message, script).toMatch(/has no (input|output|port)|expected/);
        }
      }),
    );
  });
});

describe('built-in property names are fine node names', () => {
  it('a node called `constructor` (or `toString`, `valueOf` …) is added, linked, exported, renamed and removed', () => {
    fc.assert(
      fc.property(nodeName, (name) => {
        const s = patch();
        s.execute(`new SineNode ${name}\nlink ${name}.out -> out.left\nlink freq.out -> ${name}.frequency`);
        expect(s.graph.node(name).type).toBe('SineNode');
        expect(s.graph.sourceOf({ node: 'out', port: 'left' })?.source.node).toBe(name);
        const copy = new Synchrotron();
        copy.execute(s.export());
        expect(snapshot(copy)).toBe(snapshot(s));
        s.execute(`unlink ${name}.out -> out.left`);
        expect(s.graph.sourceOf({ node: 'out', port: 'left' })).toBeUndefined();
        s.graph.renameNode(name, 'renamed');
        expect(s.graph.hasNode(name)).toBe(false);
        s.graph.renameNode('renamed', name);
        s.execute(`remove ${name}`);
        expect(s.graph.hasNode(name)).toBe(false);
        // Unknown again, not found on a prototype.
        expect(() => s.graph.node(name)).toThrow(SynchrotronError);
      }),
    );
  });

  it('.sui positions keyed by such names are that node position and nothing else', () => {
    const { positions } = parseSui(
      '/*** {"__proto__": {"x": 1, "y": 2}, "constructor": [3, 4]} ***/\nnew 1 a',
    );
    expect(positions).not.toBeNull();
    expect(Object.keys(positions!)).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(positions, '__proto__')?.value).toEqual({ x: 1, y: 2 });
    expect(Object.getPrototypeOf(positions)).toBeNull();
    const none = parseSui('/*** {"a": [1, 2]} ***/').positions!;
    expect(none.constructor).toBeUndefined();
    expect(none.toString).toBeUndefined();
  });
});

describe('the HTTP routes treat such names as names', () => {
  let server: SynchrotronServer;
  beforeAll(async () => {
    server = await startServer({ start: false });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('ports so named are 404s; nodes so named are nodes; nothing else changes', async () => {
    await fc.assert(
      fc.asyncProperty(builtIn, nodeName, async (port, name) => {
        await request(server, 'GET', '/clear');
        await request(
          server,
          'POST',
          '/execute',
          'new SineNode osc\nnew PlaybackNode out\nlink osc.out -> out.left',
        );
        const connections = (await request(server, 'GET', '/connections')).body;
        const linked = await request(server, 'PATCH', '/connections', {
          source: { node_name: 'osc', port_name: port },
          sink: { node_name: 'out', port_name: 'left' },
        });
        expect(linked.status, port).toBe(404);
        const relinked = await request(server, 'PATCH', '/connections', {
          source: { node_name: 'osc', port_name: 'out' },
          sink: { node_name: 'out', port_name: port },
        });
        expect(relinked.status, port).toBe(404);
        const unlinked = await request(server, 'DELETE', '/connections', {
          source: { node_name: 'osc', port_name: port },
          sink: { node_name: 'out', port_name: 'left' },
        });
        expect(unlinked.status, port).toBe(404);
        expect((await request(server, 'GET', '/connections')).body).toEqual(connections);
        const path = encodeURIComponent(port);
        expect((await request(server, 'GET', `/nodes/${path}`)).status, port).toBe(404);
        expect((await request(server, 'DELETE', `/nodes/${path}`)).status, port).toBe(404);
        expect((await request(server, 'GET', `/types/${path}`)).status, port).toBe(404);
        expect((await request(server, 'PUT', `/nodes/${path}/value`, '1')).status, port).toBe(404);
        // A node with such a name is a node: made, fetched, linked, listed, renamed, removed.
        expect((await request(server, 'POST', `/nodes/${name}?type=SineNode`)).status, name).toBe(200);
        expect(((await request(server, 'GET', `/nodes/${name}`)).body as { type: string }).type).toBe(
          'SineNode',
        );
        const link = await request(server, 'PATCH', '/connections', {
          source: { node_name: name, port_name: 'out' },
          sink: { node_name: 'out', port_name: 'right' },
        });
        expect(link.status, name).toBe(200);
        const names = ((await request(server, 'GET', '/nodes')).body as Array<{ name: string }>).map(
          (n) => n.name,
        );
        expect(names).toContain(name);
        expect((await request(server, 'PATCH', `/nodes/${name}`, { name: 'other' })).status).toBe(200);
        expect((await request(server, 'PATCH', '/nodes/other', { name })).status).toBe(200);
        expect((await request(server, 'DELETE', `/nodes/${name}`)).status, name).toBe(200);
        expect((await request(server, 'GET', `/nodes/${name}`)).status, name).toBe(404);
      }),
      { numRuns: 40 },
    );
  });
});
