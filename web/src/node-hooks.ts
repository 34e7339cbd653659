// Per-type extensions of the editor, looked up by node type. The one hook so far is the seam for
// sub-patches (SPEC §7, the instruments issue, not landed yet): a node made of another patch answers
// where that inner patch is, and its context menu then offers "Open inner patch", which (inner-patch.ts) asks the engine
// for it through the one door (`backend.innerPatch`, the route `GET /nodes/{name}/patch` to be added with
// that issue). Until a server answers the route, the editor says so; nothing else needs to change when it
// does: open the answer in a breadcrumb-navigated view of its own (see README, "Sub-patches").

import type { ApiNode } from '../../src/api/protocol.js';

export interface NodeTypeHooks {
  /** The path of the patch this node is made of (relative to the server's --root), or null. */
  innerPatch?(node: ApiNode, nodes: ReadonlyMap<string, ApiNode>): string | null;
}

const hooks = new Map<string, NodeTypeHooks>();

export function registerNodeHooks(type: string, entry: NodeTypeHooks) {
  hooks.set(type, entry);
}

export function nodeHooks(type: string): NodeTypeHooks | undefined {
  return hooks.get(type);
}

/** A patch file's name: what a `patch` input or a `Patch` export holds. */
const PATCH_FILE = /\.(syn|sui)$/i;

/** The .syn/.sui path held by the value node feeding `node`'s `patch` input, or null. */
function patchInput(node: ApiNode, nodes: ReadonlyMap<string, ApiNode>): string | null {
  const input = node.inputs.find((i) => i.port_name === 'patch' && i.source);
  const value = input?.source ? nodes.get(input.source.node_name)?.exports.Value : undefined;
  return typeof value === 'string' && PATCH_FILE.test(value) ? value : null;
}

/**
 * The inner patch of a node: its type's hook, else any node with an input named `patch` fed by a value
 * node holding a .syn/.sui path (how the instruments issue's PatchNode/VoicesNode are specified).
 */
export function innerPatchOf(node: ApiNode, nodes: ReadonlyMap<string, ApiNode>): string | null {
  const hook = hooks.get(node.type)?.innerPatch;
  return hook ? hook(node, nodes) : patchInput(node, nodes);
}

// The instruments issue's types, declared ahead so the menu appears as soon as the server has them: both
// name their patch in an exported `Patch`/`File`/`Path`, or in the value feeding their `patch` input.
for (const type of ['PatchNode', 'VoicesNode']) {
  registerNodeHooks(type, {
    innerPatch: (node, nodes) => {
      const value = node.exports.Patch ?? node.exports.File ?? node.exports.Path;
      return typeof value === 'string' && value ? value : patchInput(node, nodes);
    },
  });
}
