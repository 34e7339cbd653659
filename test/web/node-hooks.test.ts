// The seam for sub-patches (issue 15, item 8): which nodes offer "Open inner patch", and which path.
// The instruments issue's PatchNode has not landed, so nodes are described in the API's JSON shapes.

import { describe, expect, it } from 'vitest';
import type { ApiNode } from '../../src/api/protocol.js';
import { innerPatchOf } from '../../web/src/node-hooks.js';

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
