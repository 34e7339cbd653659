// Per-type extensions of the editor, looked up by node type. The one hook so far is the seam for
// sub-patches (SPEC §7, the instruments issue): a node made of another patch answers where that inner
// patch is, and its context menu then offers "Open inner patch" (a PatchNode or VoicesNode also opens by
// double-click), which (inner-patch.ts) asks the engine for it through the one door (`api.innerPatch`,
// the route `GET /nodes/{name}/patch`). Below: how a patch node inside a patch names its file.

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
    // Always offered: the engine knows the file even when it came as a literal input (`new patch "v.syn"`).
    innerPatch: (node, nodes) => {
      const value = node.exports.Patch ?? node.exports.File ?? node.exports.Path;
      return typeof value === 'string' && value ? value : (patchInput(node, nodes) ?? 'its patch');
    },
  });
}

/** True for the node types made of a patch file. */
export function isPatchNodeType(type: string): boolean {
  return type === 'PatchNode' || type === 'VoicesNode';
}

/**
 * The patch file a patch node inside a patch names, relative to that patch's folder: the literal it was
 * made with (`new patch "v.syn"`, `new VoicesNode(patch: "v.syn")`) or the value node feeding its input.
 */
export function nestedPatchPath(node: ApiNode, siblings: readonly ApiNode[]): string | null {
  const port = node.type === 'VoicesNode' ? 'patch' : 'path';
  const literal = node.args?.[port];
  if (typeof literal === 'string' && literal) return literal;
  const exported = node.exports.Patch;
  if (typeof exported === 'string' && exported) return exported;
  const source = node.inputs.find((i) => i.port_name === port)?.source;
  const feeding = source && siblings.find((n) => n.name === source.node_name);
  const value = feeding?.exports.Value;
  return typeof value === 'string' && value ? value : null;
}

/** The folder of a root-relative path (`a/b.syn` → `a`). */
export function dirOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** `path` as seen from a patch in `dir`, normalised as the engine resolves it (src/engine/patch.ts). */
export function joinPatchPath(dir: string, path: string): string {
  const whole = path.startsWith('/') || dir === '' ? path : `${dir}/${path}`;
  const parts: string[] = [];
  for (const part of whole.split(/[/\\]+/)) {
    if (part === '' || part === '.') continue;
    if (part === '..' && parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
    else parts.push(part);
  }
  return (whole.startsWith('/') ? '/' : '') + parts.join('/');
}
