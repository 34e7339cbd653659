// Per-type extensions of the editor, looked up by node type. The one hook so far is the seam for
// sub-patches (SPEC §7, the instruments issue): a node type whose instances are made of another patch
// (`PatchNode`, `VoicesNode`) answers where that inner patch is, and the node's context menu then offers
// "Open inner patch". When that issue lands, register its types here and implement `openInnerPatch`
// (fetch the file through the server's API, show it in a breadcrumb-navigated view of its own); nothing
// else in the editor needs to change.

import type { ApiNode } from './api';

export interface NodeTypeHooks {
  /** The path of the patch this node is made of (relative to the server's --root), or null. */
  innerPatch?(node: ApiNode): string | null;
}

const hooks = new Map<string, NodeTypeHooks>();

export function registerNodeHooks(type: string, entry: NodeTypeHooks) {
  hooks.set(type, entry);
}

export function nodeHooks(type: string): NodeTypeHooks | undefined {
  return hooks.get(type);
}

/** The inner patch of a node, when its type has one. */
export function innerPatchOf(node: ApiNode): string | null {
  return hooks.get(node.type)?.innerPatch?.(node) ?? null;
}

// The instruments issue's types, declared ahead so the menu appears as soon as the server has them: both
// name their patch in an exported `File`/`Patch` or their `path`/`patch` input's value.
for (const type of ['PatchNode', 'VoicesNode']) {
  registerNodeHooks(type, {
    innerPatch: (node) => {
      const value = node.exports.Patch ?? node.exports.File ?? node.exports.Path;
      return typeof value === 'string' && value ? value : null;
    },
  });
}
