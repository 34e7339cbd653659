// The seam for sub-patches (issue 15, item 8): which nodes offer "Open inner patch", and which path.
// The instruments issue's PatchNode has not landed, so nodes are described in the API's JSON shapes.

import { describe, expect, it } from 'vitest';
import type { ApiNode } from '../../src/api/protocol.js';
import {
  dirOf,
  innerPatchOf,
  isPatchNodeType,
  joinPatchPath,
  nestedPatchPath,
} from '../../web/src/node-hooks.js';

const value = (name: string, v: unknown): ApiNode => ({
  name,
  type: 'DataNode',
  inputs: [],
  outputs: [{ node_name: name, port_name: 'out', type: 'DataOutput', sinks: [] }],
  exports: { Value: v },
});
const withPatchInput = (name: string, type: string, source: string | null): ApiNode => ({
  name,
  type,
  inputs: [
    {
      node_name: name,
      port_name: 'patch',
      type: 'DataInput',
      source: source ? { node_name: source, port_name: 'out' } : null,
    },
  ],
  outputs: [],
  exports: {},
});
const graph = (...nodes: ApiNode[]) => new Map(nodes.map((n) => [n.name, n]));

describe('sub-patch seam', () => {
  it('a node whose `patch` input is fed a .syn or .sui path offers it', () => {
    const nodes = graph(value('file', 'voices/lead.sui'), withPatchInput('lead', 'AnyFutureNode', 'file'));
    expect(innerPatchOf(nodes.get('lead')!, nodes)).toBe('voices/lead.sui');
  });

  it('other values, unlinked inputs and plain nodes offer nothing', () => {
    const nodes = graph(
      value('wav', 'drums.wav'),
      withPatchInput('a', 'X', 'wav'),
      withPatchInput('b', 'X', null),
      value('n', 440),
    );
    expect(innerPatchOf(nodes.get('a')!, nodes)).toBeNull();
    expect(innerPatchOf(nodes.get('b')!, nodes)).toBeNull();
    expect(innerPatchOf(nodes.get('n')!, nodes)).toBeNull();
  });

  it('PatchNode and VoicesNode name their patch in an export, or through the input', () => {
    const exported: ApiNode = { ...withPatchInput('p', 'PatchNode', null), exports: { Patch: 'bass.syn' } };
    const nodes = graph(exported, value('f', 'pad.syn'), withPatchInput('v', 'VoicesNode', 'f'));
    expect(innerPatchOf(exported, nodes)).toBe('bass.syn');
    expect(innerPatchOf(nodes.get('v')!, nodes)).toBe('pad.syn');
  });
});

describe('nested patch nodes: the file a patch node inside a patch plays, as the engine resolves it', () => {
  const patchNode = (
    name: string,
    args?: Record<string, unknown>,
    source: string | null = null,
  ): ApiNode => ({
    ...withPatchInput(name, 'PatchNode', null),
    inputs: [
      {
        node_name: name,
        port_name: 'path',
        type: 'DataInput',
        source: source ? { node_name: source, port_name: 'out' } : null,
      },
    ],
    ...(args ? { args } : {}),
    exports: { Patch: null },
  });

  it('reads the literal it was made with, else the value node feeding it; VoicesNode reads `patch`', () => {
    expect(nestedPatchPath(patchNode('low', { path: '../subtractive.syn' }), [])).toBe('../subtractive.syn');
    const file = value('file', 'voice.sui');
    expect(nestedPatchPath(patchNode('fed', undefined, 'file'), [file])).toBe('voice.sui');
    const voices = { ...withPatchInput('v', 'VoicesNode', null), args: { patch: 'pad.syn' } };
    expect(nestedPatchPath(voices, [])).toBe('pad.syn');
    expect(nestedPatchPath(patchNode('none'), [])).toBeNull();
  });

  it('joins it to the including file’s folder, normalised (`..`, `.`, doubled slashes)', () => {
    expect(joinPatchPath(dirOf('layers/duo.sui'), '../subtractive.syn')).toBe('subtractive.syn');
    expect(joinPatchPath(dirOf('a/b/c.syn'), './d//e.syn')).toBe('a/b/d/e.syn');
    expect(joinPatchPath(dirOf('top.syn'), 'voice.syn')).toBe('voice.syn');
    expect(joinPatchPath(dirOf('a/top.syn'), '/abs/v.syn')).toBe('/abs/v.syn');
    expect(joinPatchPath('', '../outside.syn')).toBe('../outside.syn');
  });

  it('only PatchNode and VoicesNode open by double-click', () => {
    expect(isPatchNodeType('PatchNode')).toBe(true);
    expect(isPatchNodeType('VoicesNode')).toBe(true);
    expect(isPatchNodeType('PolyphonicNode')).toBe(false);
  });
});
