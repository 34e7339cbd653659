// "Open inner patch" on a PatchNode or VoicesNode (see node-hooks.ts for which nodes offer it): the engine
// answers the patch's inner graph, read-only (`GET /nodes/{name}/patch`, docs/decisions.md "Editor: the
// inside of a patch is read-only"). The editor shows what the patch is made of — its file, inlets,
// outlets, nodes and the files it includes — and offers its script; edits belong in the file, which every
// instance follows when it is saved (`reload`). A graph view of the inside can be drawn from the same
// answer (`nodes`, `connections`) later.

import { api } from './backend';
import { ask } from './dialog';
import { store } from './store';

export async function openInnerPatch(name: string, path: string): Promise<void> {
  let inner: Awaited<ReturnType<typeof api.innerPatch>>;
  try {
    inner = await api.innerPatch(name);
  } catch (error) {
    store.showToast(`Cannot open ${path} inside ${name}: ${(error as Error).message}`);
    return;
  }
  const list = (items: Array<{ name: string }>) => items.map((i) => i.name).join(', ') || 'none';
  const types = new Map<string, number>();
  for (const node of inner.nodes) types.set(node.type, (types.get(node.type) ?? 0) + 1);
  const made = [...types].map(([type, n]) => `${n} ${type.replace(/Node$/, '')}`).join(', ');
  const copy = await ask(
    `Inside ${inner.path} (read-only)`,
    `${name} plays ${inner.path}: inlets ${list(inner.inlets)}; outlets ${list(inner.outlets)}. ` +
      `${inner.nodes.length} nodes (${made || 'none'}), ${inner.connections.length} links` +
      `${inner.files.length > 1 ? `; it includes ${inner.files.slice(1).join(', ')}` : ''}. ` +
      `Edit ${inner.path} in a text editor: every instance follows when you save it (or type \`reload\`).`,
    'Copy its script',
    'Close',
  );
  if (copy) {
    await navigator.clipboard?.writeText(inner.script).catch(() => undefined);
    store.showToast(`Copied the script of ${inner.path}.`, 'info');
  }
}
